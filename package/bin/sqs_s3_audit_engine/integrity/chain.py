"""The chain of digests: each digest names the one before it (bucket, key, hash, signature).

Source: "CloudTrail digest file structure" (``previousDigestS3Bucket``,
``previousDigestS3Object``, ``previousDigestHashValue``, ``previousDigestSignature``, all null
in the first digest of a chain: when a trail starts, or logging or log file validation is
turned on again after being off) and "Custom implementations of CloudTrail log file
integrity validation" (validate each previous digest in turn).

Per chain (the bucket, trail, account and region) the last digests seen are kept in the
checkpoint, so a restart does not lose the link, and digests arriving out of order still
link up. Only digests whose signature verifies enter that history (and give its order):
whoever can write into the bucket can put digests there, and a forged one (dated 9999, say)
must not push the genuine predecessor of a tampered digest out of the history. A digest
that does not verify still gets a verdict, against the verified history. Verdicts:

- ``ok``: the previous digest was seen here with that signature and hash;
- ``broken``: it was seen, but its signature or hash differs from what this digest says;
- ``first``: no previous digest (the start of the trail's chain), or the first digest of the
  trail this input sees;
- ``gap``: the previous digest was never seen here while others of the chain were, or the
  chain restarted (logging or validation was stopped and started again).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import List

from .digest import Digest, DigestKey
from .state import StateStore

__all__ = ["ChainVerdict", "Chains", "HISTORY"]

HISTORY = 48  # digests remembered per chain (two days of hourly digests)


@dataclass(frozen=True)
class ChainVerdict:
    status: str
    reason: str
    previous: str = ""


class Chains:
    def __init__(self, state: StateStore):
        self.state = state
        self._lock = threading.Lock()

    def check(self, *, key: DigestKey, digest: Digest, bucket: str, object_key: str, signature: str,
              verified: bool = True) -> ChainVerdict:
        """The verdict for this digest; when its signature ``verified``, it is then remembered
        as part of its chain."""
        name = f"chain:{bucket}|{key.chain_id}"
        with self._lock:
            entry = self.state.get(name) or {}
            history: List[dict] = list(entry.get("h") or [])
            for seen in history:  # the same digest again (a redelivery): same verdict
                if seen.get("b") == bucket and seen.get("k") == object_key and seen.get("x") == digest.sha256:
                    return ChainVerdict(seen.get("c", "ok"), seen.get("r", ""), seen.get("p", ""))
            verdict = self._verdict(digest, history)
            if not verified:
                return verdict
            history.append({"b": bucket, "k": object_key, "s": signature, "x": digest.sha256,
                            "e": str(digest["digestEndTime"]), "c": verdict.status, "r": verdict.reason,
                            "p": verdict.previous})
            history.sort(key=lambda seen: seen.get("e", ""))
            self.state.put(name, {"h": history[-HISTORY:]})
            return verdict

    @staticmethod
    def _verdict(digest: Digest, history: List[dict]) -> ChainVerdict:
        prev_bucket, prev_key = digest["previousDigestS3Bucket"], digest["previousDigestS3Object"]
        if prev_key is None and digest.previous_signature is None:
            if not history:
                return ChainVerdict("first", "first digest of the trail's chain (no previous digest)")
            last = history[-1]
            return ChainVerdict("gap", f"the chain restarted after s3://{last['b']}/{last['k']}: logging or log "
                                       "file validation was stopped and started again")
        previous = f"s3://{prev_bucket}/{prev_key}"
        for seen in history:
            if seen.get("b") == prev_bucket and seen.get("k") == prev_key:
                if seen.get("s") != digest.previous_signature:
                    return ChainVerdict(
                        "broken", f"previousDigestSignature does not match the signature of {previous}", previous
                    )
                expected = digest["previousDigestHashValue"]
                if isinstance(expected, str) and expected.lower() != seen.get("x"):
                    return ChainVerdict(
                        "broken", f"previousDigestHashValue does not match the content of {previous}", previous
                    )
                return ChainVerdict("ok", "", previous)
        if not history:
            return ChainVerdict(
                "first", f"first digest of the trail this input has seen; {previous} was not read here", previous
            )
        return ChainVerdict("gap", f"the previous digest {previous} was not seen by this input (deleted, not "
                                   "announced on the queue, or read by another forwarder)", previous)
