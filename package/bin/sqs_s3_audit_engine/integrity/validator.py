"""One digest in, one ``aws:cloudtrail:digest`` event out (now, or after the grace period).

:meth:`DigestValidator.accept` checks the signature and the chain at once, and the listed
log files against the hashes of the files read so far. When every file is accounted for the
event is returned; otherwise the digest is kept as pending in the checkpoint (so a restart
does not forget it) and :meth:`DigestValidator.due` returns its event once the missing files
have been read or the grace period is over. The caller writes the event, then calls
:meth:`DigestValidator.done` so the pending entry is dropped (a crash in between writes the
event again at most once more).

Event fields (compact JSON): ``account``, ``organization``, ``region``, ``trail``,
``home_region``, ``digest_start``, ``digest_end``, ``backfill``, ``files_listed``,
``files_verified``, ``missing``/``modified``/``not_known_here`` (``s3://`` names) and their
counts, ``signature`` (``valid``, ``invalid``, ``not_checked``) with ``signature_reason`` and
``missing_permission``, ``chain`` (``ok``, ``broken``, ``first``, ``gap``) with
``chain_reason`` and ``previous_digest``, ``result`` (``pass``, ``warn``, ``fail``),
``waited_seconds``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from .chain import Chains
from .completeness import Presence, settle, tally
from .digest import (
    ALGORITHM,
    Digest,
    DigestError,
    DigestKey,
    LogFileEntry,
    parse_digest,
    parse_key,
    signing_string,
    verify_signature,
)
from .public_keys import PERMISSION, PublicKeys, parse_time
from .state import StateStore

__all__ = ["DigestValidator", "SOURCETYPE"]

SOURCETYPE = "aws:cloudtrail:digest"
#: listed files per stored item of a pending digest (about 300 bytes each: far under 400 KB)
FILES_PER_ITEM = 500
#: seconds between two looks for the unseen files of one pending digest (before its grace is over)
RECHECK = 30.0


class DigestValidator:
    """Checks digests for one input.

    Args:
        state: the checkpoint's keyed state.
        public_keys: the ``ListPublicKeys`` cache, or None to leave signatures unchecked.
        grace: seconds a listed file that was not read yet is waited for.
        shared: True when the checkpoint is shared by every forwarder of the queue.
        locate: ``locate(bucket, key) -> Presence``: what S3 and the checkpoint say of a
            listed file never seen, asked once the grace period is over.
        owner: who owns the pending digests in a shared store (host and input name).
        readable: ``readable(bucket)``: whether a listed file's bucket is one the input reads
            (``allowed_buckets``); only those and the digest's own bucket are looked up.
        clock: epoch seconds (tests).
    """

    def __init__(self, *, state: StateStore, public_keys: Optional[PublicKeys], grace: float, shared: bool = False,
                 locate: Optional[Callable[[str, str], Presence]] = None, owner: str = "",
                 clock: Callable[[], float] = time.time, readable: Callable[[str], bool] = lambda _bucket: False):
        self.state = state
        self.public_keys = public_keys
        self.grace = grace
        self.shared = shared
        self.locate = locate
        self.readable = readable  # buckets besides the digest's own that locate may ask S3 about
        self.clock = clock
        self.chains = Chains(state)
        self._pending_name = "pending:" + (owner or socket.gethostname())
        self._checked: Dict[str, float] = {}  # pending source -> when its files were last looked for
        self._lock = threading.Lock()

    # -- arrival ---------------------------------------------------------------------
    def accept(self, *, bucket: str, key: str, raw: bytes, metadata: Dict[str, str]) -> Optional[Tuple[float, str]]:
        """Check a digest read from ``s3://bucket/key`` (``raw``: uncompressed bytes).

        Returns ``(time, event JSON)`` when the event can be written now, else None (pending).

        Raises:
            DigestError: the object is not a readable digest file (named in the message).
        """
        digest = parse_digest(raw)
        digest_key = parse_key(key) or _key_from_fields(digest, key)
        signature = str(metadata.get("signature") or "")
        sig_status, sig_reason, permission = self._signature(digest, digest_key, bucket, key, metadata)
        chain = self.chains.check(key=digest_key, digest=digest, bucket=bucket, object_key=key, signature=signature,
                                  verified=sig_status == "valid")
        # A digest whose signature is invalid is reported at once: its list of files is the
        # forger's, so it is only compared with what was read (no waiting, no S3 lookups).
        forged = sig_status == "invalid"
        record = {
            "source": f"s3://{bucket}/{key}",
            "time": _epoch(digest["digestEndTime"]),
            "since": self.clock(),
            # only the files not read yet are kept (a pending entry stays small)
            "files": [[e.bucket, e.key, e.hash_value, e.hash_algorithm] for e in digest.log_files],
            "listed": len(digest.log_files), "verified": 0, "modified": [],
            "head": {
                "account": digest_key.account, "organization": digest_key.organization, "region": digest_key.region,
                "trail": digest_key.trail, "home_region": digest_key.home_region,
                "digest_start": digest["digestStartTime"], "digest_end": digest["digestEndTime"],
                "backfill": digest_key.backfill,
            },
            "signature": [sig_status, sig_reason, permission],
            "chain": [chain.status, chain.reason, chain.previous],
        }
        event = self._resolve(record, final=self.grace <= 0 or forged)
        if event is not None:
            return event
        with self._lock:
            name = self._record_name(record["source"])
            files = record.pop("files")
            chunks = [files[i:i + FILES_PER_ITEM] for i in range(0, len(files), FILES_PER_ITEM)]
            for number, chunk in enumerate(chunks):  # each item well under DynamoDB's 400 KB
                self.state.put(f"{name}#{number}", {"f": chunk})
            record["chunks"] = len(chunks)
            self.state.put(name, record)  # the files first, then the record, then the index
            sources = self._sources()
            if record["source"] not in sources:
                self.state.put(self._pending_name, {"d": sources + [record["source"]]})
        return None

    # -- later -----------------------------------------------------------------------
    def due(self) -> List[Tuple[str, float, str]]:
        """Pending digests that can be reported now: ``(source, time, event JSON)``."""
        with self._lock:
            pending = [(source, self.state.get(self._record_name(source))) for source in self._sources()]
        out = []
        now = self.clock()
        for source, record in pending:
            if not record:  # the index outlived its record (a crash between two writes)
                self.done(source)
                continue
            final = now - float(record.get("since", 0)) >= self.grace
            if not final and now - self._checked.get(source, float("-inf")) < RECHECK:
                continue  # rate-limited: its unseen files are looked for at most every RECHECK seconds
            self._checked[source] = now
            record = dict(record)  # progress is not stored: each look starts from the stored digest
            if "chunks" in record:
                record["files"] = self._files(source, int(record["chunks"]))
            event = self._resolve(record, final=final)
            if event is not None:
                out.append((source, event[0], event[1]))
        return out

    def done(self, source: str) -> None:
        """The event of a pending digest was written: forget it."""
        with self._lock:
            self._checked.pop(source, None)
            sources = self._sources()
            if source in sources:
                sources.remove(source)
                self.state.put(self._pending_name, {"d": sources})
                name = self._record_name(source)
                record = self.state.get(name) or {}
                self.state.put(name, {})
                for number in range(int(record.get("chunks") or 0)):
                    self.state.put(f"{name}#{number}", {})

    def _files(self, source: str, chunks: int) -> list:
        name = self._record_name(source)
        files: list = []
        for number in range(chunks):
            files.extend((self.state.get(f"{name}#{number}") or {}).get("f") or [])
        return files

    def pending_count(self) -> int:
        with self._lock:
            return len(self._sources())

    def _sources(self) -> List[str]:
        """The pending digests' sources (the index: one small entry; each record has its own)."""
        entry = self.state.get(self._pending_name) or {}
        return [str(source) for source in entry.get("d") or []]

    def _record_name(self, source: str) -> str:
        return f"{self._pending_name}:{source}"

    # -- checks ----------------------------------------------------------------------
    def _signature(self, digest: Digest, digest_key: DigestKey, bucket: str, key: str,
                   metadata: Dict[str, str]) -> Tuple[str, str, str]:
        if digest["digestS3Bucket"] != bucket or digest["digestS3Object"] != key:
            return "invalid", (f"the digest says it is s3://{digest['digestS3Bucket']}/{digest['digestS3Object']}: "
                               "it was moved from its original location"), ""
        signature = metadata.get("signature")
        if not signature:
            return "invalid", "the object has no x-amz-meta-signature metadata", ""
        algorithm = metadata.get("signature-algorithm") or digest["digestSignatureAlgorithm"]
        if algorithm != ALGORITHM or digest["digestSignatureAlgorithm"] != ALGORITHM:
            return "invalid", f"unsupported signature algorithm {algorithm!r} (expected {ALGORITHM})", ""
        if self.public_keys is None:
            return "not_checked", "public keys are not available to this check", ""
        if not digest_key.region:
            return "not_checked", "the digest's key does not name its region, where its public key is", ""
        found = self.public_keys.lookup(region=digest_key.region,
                                        fingerprint=str(digest["digestPublicKeyFingerprint"]),
                                        start=parse_time(digest["digestStartTime"]),
                                        end=parse_time(digest["digestEndTime"]))
        if found.status == "denied":
            return "not_checked", found.reason, PERMISSION
        if found.status == "error":
            return "not_checked", found.reason, ""
        if found.status != "found":
            return "invalid", found.reason, ""
        problem = verify_signature(found.der, signing_string(digest), signature)
        return ("invalid", problem, "") if problem else ("valid", "", "")

    def _resolve(self, record: Dict[str, Any], *, final: bool) -> Optional[Tuple[float, str]]:
        entries = [LogFileEntry(bucket=b, key=k, hash_value=h, hash_algorithm=a) for b, k, h, a in record["files"]]
        counted = tally(self.state, entries)
        counted.modified[:0] = record["modified"]
        verified = int(record["verified"]) + len(counted.verified)
        if counted.unseen and not final:
            record["files"] = [[e.bucket, e.key, e.hash_value, e.hash_algorithm] for e in counted.unseen]
            record["verified"], record["modified"] = verified, counted.modified
            return None
        own = record["source"][len("s3://"):].split("/", 1)[0]
        forged = record["signature"][0] == "invalid"
        late = settle(counted.unseen, shared=self.shared, locate=None if forged else self.locate,
                      may_locate=lambda b: b == own or self.readable(b))
        verified += len(late.verified)
        counted.modified += late.modified
        missing, unknown = late.missing, late.not_known_here
        sig_status, sig_reason, permission = record["signature"]
        chain_status, chain_reason, previous = record["chain"]
        event: Dict[str, Any] = dict(record["head"])
        event.update({
            "files_listed": int(record["listed"]), "files_verified": verified,
            "files_missing": len(missing), "files_modified": len(counted.modified),
            "files_not_known_here": len(unknown),
            "missing": missing, "modified": counted.modified, "not_known_here": unknown,
            "signature": sig_status, "chain": chain_status,
        })
        if sig_reason:
            event["signature_reason"] = sig_reason
        if permission:
            event["missing_permission"] = permission
        if chain_reason:
            event["chain_reason"] = chain_reason
        if previous:
            event["previous_digest"] = previous
        failed = missing or counted.modified or sig_status == "invalid" or chain_status == "broken"
        warned = unknown or sig_status == "not_checked" or chain_status == "gap"
        event["result"] = "fail" if failed else ("warn" if warned else "pass")
        event["waited_seconds"] = max(0, round(self.clock() - float(record.get("since", self.clock()))))
        return float(record["time"]), json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def _epoch(text: Any) -> float:
    moment = parse_time(text)
    return moment.timestamp() if moment else time.time()


def _key_from_fields(digest: Digest, key: str) -> DigestKey:
    """A digest whose key does not follow the documented layout: name it from its fields."""
    if not isinstance(digest["awsAccountId"], str):
        raise DigestError(f"{key} is not a CloudTrail digest key and its awsAccountId is unreadable")
    return DigestKey(account=digest["awsAccountId"], region="", trail=key, home_region="", stamp="")
