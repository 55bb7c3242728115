"""Where the collector meets the digest checks: a few calls, no knowledge of the checks.

- :meth:`DigestIntake.hasher_for`: a :class:`ContentHash` for a CloudTrail log file, fed with
  the object's uncompressed chunks while it is read, or None (not a CloudTrail log key, or
  ``cloudtrail_digests = skip``), so other objects cost nothing;
- :meth:`DigestIntake.log_finished`: the log file is finished: its hash is kept;
- :meth:`DigestIntake.digest_object`: a digest object read from S3 (body and metadata): one
  event written now, or the digest kept pending;
- :meth:`DigestIntake.tick`: write the events of pending digests that can be settled now.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Callable, List, Optional, Tuple

from ..delivery.leases import CheckpointUnavailable
from ..errors import ObjectError, StopRequested
from ..metrics import kv
from ..objects import decompressed, iter_body
from ..timestamps import epoch_to_text
from .completeness import ContentHash, Presence, record_log_hash
from .digest import DigestError
from .validator import SOURCETYPE, DigestValidator

__all__ = ["DigestIntake", "s3_locate", "CLOUDTRAIL_LOG_KEY", "MAX_DIGEST_BYTES"]

#: CloudTrail log files (not digests, not Insights): the files a digest lists.
CLOUDTRAIL_LOG_KEY = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/CloudTrail/[^/]+/\d{4}/\d{2}/\d{2}/[^/]+$")
MAX_DIGEST_BYTES = 64 << 20  # uncompressed; a digest lists an hour of files (a few hundred KB at most)


class DigestIntake:
    """Args:
        validator: the checks; None with ``cloudtrail_digests = skip``.
        write: ``write(source, sourcetype, [(time text, data)])`` (the collector's sink).
        log: the input's logger.
        finish: ``finish(oid)`` of the checkpoint, for digest objects once handled.
        tick_every: seconds between two looks at pending digests.
    """

    def __init__(self, *, validator: Optional[DigestValidator],
                 write: Callable[[str, str, List[Tuple[str, str]]], None],
                 log: logging.Logger, finish: Optional[Callable[[str], None]] = None, tick_every: float = 2.0):
        self.validator = validator
        self.finish = finish
        self.write = write
        self.log = log
        self.tick_every = tick_every
        self._next_tick = 0.0
        self._tick_lock = threading.Lock()

    @property
    def validating(self) -> bool:
        return self.validator is not None

    def hasher_for(self, key: str) -> Optional[ContentHash]:
        if self.validator is None or not CLOUDTRAIL_LOG_KEY.search(key):
            return None
        return ContentHash()

    def log_finished(self, bucket: str, key: str, hasher: Optional[ContentHash]) -> None:
        if self.validator is not None and hasher is not None:
            record_log_hash(self.validator.state, bucket, key, hasher.hexdigest())

    def handle(self, ref, response: dict, oid: str) -> None:
        """The whole-object handler for ``cloudtrail_digest`` objects (:mod:`..ingest`), registered
        only with ``cloudtrail_digests = validate``; the one-object path logs ``digest_skipped``
        otherwise."""
        self.digest_object(ref.bucket, ref.key, response)
        if self.finish is not None:
            self.finish(oid)

    def digest_object(self, bucket: str, key: str, response: dict) -> None:
        """Check one digest object (``GetObject`` response); writes its event or keeps it pending.

        Raises:
            ObjectError: the object is not a readable digest (``invalid_digest``), or gzip errors.
        """
        if self.validator is None:
            raise ValueError("no digest validator: cloudtrail_digests = skip (wiring registers no handler then)")
        parts, size = [], 0
        for chunk in decompressed(iter_body(response["Body"]), bucket, key):
            size += len(chunk)
            if size > MAX_DIGEST_BYTES:
                raise ObjectError(bucket, key, "invalid_digest",
                                  f"larger than {MAX_DIGEST_BYTES} bytes: not a digest file")
            parts.append(chunk)
        metadata = {str(k).lower(): str(v) for k, v in (response.get("Metadata") or {}).items()}
        try:
            result = self.validator.accept(bucket=bucket, key=key, raw=b"".join(parts), metadata=metadata)
        except DigestError as exc:
            raise ObjectError(bucket, key, "invalid_digest", str(exc)) from None
        except CheckpointUnavailable as exc:
            if exc.code != "ValidationException":
                raise  # the store is out: the object waits for it like any other
            # The store refuses this digest's state (not the store as a whole): an error of
            # this object, left for the dead-letter queue, never a worker waiting forever.
            raise ObjectError(bucket, key, "digest_not_stored", str(exc)) from None
        source = f"s3://{bucket}/{key}"
        if result is None:
            self.log.info(kv(action="digest_pending", bucket=bucket, key=key, grace=self.validator.grace))
            return
        self._emit(source, result[0], result[1])

    def tick(self, force: bool = False) -> int:
        """Write the events of pending digests that are settled; returns how many.

        Never raises: it runs in the receive loop, which a failure here must not stop."""
        try:
            return self._tick(force)
        except StopRequested:
            return 0
        except Exception:
            self.log.exception(kv(action="digest_settle_failed"))
            return 0

    def _tick(self, force: bool) -> int:
        if self.validator is None:
            return 0
        now = time.monotonic()
        if not force and now < self._next_tick:
            return 0
        if not self._tick_lock.acquire(blocking=False):
            return 0
        try:
            self._next_tick = now + self.tick_every
            written = 0
            for source, when, data in self.validator.due():
                self._emit(source, when, data)
                self.validator.done(source)
                written += 1
            return written
        finally:
            self._tick_lock.release()

    def _emit(self, source: str, when: float, data: str) -> None:
        from ..delivery.batches import SinkClosed

        try:
            self.write(source, SOURCETYPE, [(epoch_to_text(when), data)])
        except SinkClosed:
            raise StopRequested() from None
        fields = json.loads(data)
        level = logging.WARNING if fields.get("result") == "fail" else logging.INFO
        self.log.log(level, kv(action="digest_checked", source=source, result=fields.get("result"),
                               signature=fields.get("signature"), chain=fields.get("chain"),
                               files=fields.get("files_listed"), verified=fields.get("files_verified"),
                               missing=fields.get("files_missing"), modified=fields.get("files_modified"),
                               not_known_here=fields.get("files_not_known_here"),
                               detail=fields.get("signature_reason")))


def s3_locate(store, checkpoint) -> Callable[[str, str], Presence]:
    """``locate(bucket, key)`` with the object store's ``HeadObject`` (allowed by
    ``s3:GetObject``), then the checkpoint's entry of that version (version id, else ETag, as
    the one-object path names it)."""
    from ..delivery.checkpoint import object_id
    from ..errors import AwsCallError

    def locate(bucket: str, key: str) -> Presence:
        try:
            head = store.head(bucket, key)
        except AwsCallError as exc:
            return Presence(False if exc.code in ("404", "NoSuchKey", "NotFound") else None)
        except OSError:
            return Presence(None)
        version = head.get("VersionId") or str(head.get("ETag", "")).strip('"')
        meta = checkpoint.meta(object_id(bucket, key, version)) if version else None
        sha256 = meta.get("sha256") if isinstance(meta, dict) else None
        return Presence(True, sha256 if isinstance(sha256, str) else "")

    return locate


def build_intake(cfg, *, cloudtrail_for: Callable[[str], object], store, checkpoint, sink,
                 log: logging.Logger) -> DigestIntake:
    """The intake of one input: with ``cloudtrail_digests = validate`` a validator whose
    public keys come from ``cloudtrail:ListPublicKeys`` in each digest's region, with the
    client ``cloudtrail_for(region)`` builds (the input's credentials, role and proxy; one
    per region), and whose log files are located through ``store`` (the object store)."""
    import socket

    from ..buckets import bucket_allowed
    from .public_keys import PublicKeys
    from .state import CheckpointState

    if cfg.cloudtrail_digests != "validate":
        return DigestIntake(validator=None, write=sink.write, log=log)
    cached: dict = {}
    lock = threading.Lock()

    def client_for(region: str):
        with lock:
            if region not in cached:
                cached[region] = cloudtrail_for(region)
            return cached[region]

    shared = getattr(cfg, "checkpoint_store", "local") == "dynamodb"
    validator = DigestValidator(
        state=CheckpointState(checkpoint), public_keys=PublicKeys(client_for=client_for),
        grace=cfg.cloudtrail_digest_grace, shared=shared, locate=s3_locate(store, checkpoint),
        owner=f"{socket.gethostname()}|{cfg.name}",
        readable=lambda bucket: bool(cfg.allowed_buckets) and bucket_allowed(cfg.allowed_buckets, bucket),
    )
    return DigestIntake(validator=validator, write=sink.write, log=log, finish=checkpoint.finish)
