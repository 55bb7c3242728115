"""Stage 5: one object, from its lease to its fate.

:class:`Ingest` is the one path an S3 object takes, whoever names it (a notification through
the collector, a listing through :mod:`.backfill`):

1. the per-object lock in this process and the object's lease in the checkpoint
   (:mod:`.delivery.leases`): one writer of an object at a time, across a fleet too;
2. ``GetObject`` through the object store (which may use a client of its own: a role for
   S3/KMS distinct from the queue's), once per attempt;
3. its events (:class:`.events.ObjectEvents`, which decides the log type, whole-object
   types included);
4. delivery (:mod:`.delivery.batches`): events written in batches, the checkpoint in step;
5. the object's fate: done, already done, filtered, skipped (a whole object with no
   handler), retried, or failed (raised to the caller, which leaves the message).

A message naming several objects (an S3 notification with several records, a vendor
notification naming several files) is :meth:`Ingest.read_objects`: each object is
checkpointed as its own, so a redelivery writes only what was not finished.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Dict, Iterable, List, Optional

from .aws import BODY_ERRORS
from .config import InputConfig
from .decoders import BadRecord
from .delivery.batches import Delivery
from .delivery.checkpoint import object_id
from .delivery.leases import CheckpointUnavailable, HeldObject, LeasedCheckpoint, LeaseLost, ObjectLocks
from .errors import AwsCallError, ObjectError, StopRequested
from .events import ObjectEvents
from .fdr_checks import CheckedEvents, checked, precheck, wants_check
from .metrics import Metrics, kv
from .notification_types import ObjectRef
from .retry import CHECKPOINT_WAIT, OBJECT_READ
from .timestamps import epoch_to_text
from .interfaces import ObjectStoreApi

__all__ = ["Ingest", "WholeObjectHandler", "log_type_of"]

#: Handles an object of a ``whole_object`` log type (a CloudTrail digest): called with the
#: object, the GetObject response (its ``Body`` the whole object, unread) and the object id;
#: finishes the object in the checkpoint; raises ObjectError or AwsCallError like any read.
WholeObjectHandler = Callable[[ObjectRef, dict, str], None]


def log_type_of(cfg: InputConfig, ref: ObjectRef) -> str:
    """The log type an object is read with: a ``log_type_rules`` rule that matches its key,
    else the input's ``log_type``; where that says ``auto``, the type a CrowdStrike FDR
    notification names for the file (its folder), else ``auto`` (decided by key or content)."""
    configured = cfg.log_type_for(ref.key)
    return ref.log_type if ref.log_type and configured == "auto" else configured


class Ingest:
    """Reads objects and writes their events, each exactly once across every caller.

    Args:
        cfg: the validated input (key filter, log type, sourcetype).
        store: the object store (``get(bucket, key, version_id)`` -> GetObject response).
        checkpoint: the checkpoint with leases.
        delivery: writes events and advances the checkpoint; its ``stop`` is the input's.
        log, metrics: the input's.
        whole_object_handlers: log type name -> handler for ``whole_object`` types;
            objects of such a type without a handler are skipped (``digest_skipped``).
        digests: the CloudTrail digest intake (:mod:`.integrity.intake`), or None.
    """

    def __init__(self, cfg: InputConfig, *, store: ObjectStoreApi, checkpoint: LeasedCheckpoint, delivery: Delivery,
                 log: logging.Logger, metrics: Metrics,
                 whole_object_handlers: Optional[Dict[str, WholeObjectHandler]] = None, digests=None):
        self.cfg, self.store, self.checkpoint, self.delivery = cfg, store, checkpoint, delivery
        self.log, self.metrics = log, metrics
        self.whole_object_handlers = dict(whole_object_handlers or {})
        self.digests = digests
        self._locks = ObjectLocks()
        self._current: Dict[int, ObjectRef] = {}  # thread id -> object being read

    @property
    def stop(self) -> threading.Event:
        return self.delivery.stop

    def current(self) -> Optional[ObjectRef]:
        """The object this thread is reading (for a log line when a bug strikes)."""
        return self._current.get(threading.get_ident())

    def forget_current(self) -> None:
        self._current.pop(threading.get_ident(), None)

    # -- the objects of one message ---------------------------------------------------
    def read_objects(self, refs: Iterable[ObjectRef], *, message_id: str = "", receive_count=None) -> bool:
        """Read every wanted object of a message; True when none failed.

        Each failure is logged (``object_failed``) and the next object is read: those that
        succeed are checkpointed and not written again when the message comes back.

        Raises:
            StopRequested: the input is stopping (the message is given back).
        """
        failed = False
        for ref in refs:
            if self.stop.is_set():
                raise StopRequested()
            if not self.cfg.wants_key(ref.key):
                self.metrics.add("objects_skipped")
                self.log.debug(kv(action="object_filtered", bucket=ref.bucket, key=ref.key))
                continue
            try:
                self.read_object(ref)
            except (ObjectError, AwsCallError) as exc:
                failed = True
                reason = exc.reason if isinstance(exc, ObjectError) else exc.code
                self.metrics.add("objects_failed")
                self.metrics.error(reason)
                self.log.error(kv(action="object_failed", bucket=ref.bucket, key=ref.key, reason=reason,
                                  detail=str(exc), message_id=message_id, receive_count=receive_count))
        return not failed

    # -- one object --------------------------------------------------------------------
    def read_object(self, ref: ObjectRef) -> None:
        """Read one object and write its events, retrying what may succeed later.

        Raises:
            ObjectError, AwsCallError: after retries; StopRequested when stopping.
        """
        self._current[threading.get_ident()] = ref
        with self._locks.hold(ref.bucket, ref.key):
            backoff, store_backoff = OBJECT_READ.backoff(), CHECKPOINT_WAIT.backoff()
            attempt = 1
            while True:
                try:
                    self._read_once(ref)
                    return
                except LeaseLost as exc:  # a peer took the object over: wait for it like any holder
                    self.log.warning(kv(action="lease_lost", bucket=ref.bucket, key=ref.key, detail=str(exc)))
                except CheckpointUnavailable:  # nothing written yet (the store logs it): wait, try again
                    if self.stop.wait(store_backoff.next()):
                        raise StopRequested() from None
                except (ObjectError, AwsCallError) as exc:
                    if not exc.retryable or attempt >= OBJECT_READ.attempts:
                        raise
                    delay = backoff.next()
                    self.log.warning(kv(action="object_retry", bucket=ref.bucket, key=ref.key, attempt=attempt,
                                        reason=getattr(exc, "reason", None) or getattr(exc, "code", ""),
                                        detail=str(exc), retry_in=round(delay, 1)))
                    attempt += 1
                    if self.stop.wait(delay):
                        raise StopRequested() from None

    def _read_once(self, ref: ObjectRef) -> None:
        bucket, key = ref.bucket, ref.key
        known = ref.version_id or ref.etag.strip('"')
        with HeldObject(self.checkpoint, self.stop, ref, log=self.log, metrics=self.metrics) as held:
            if known and held.take(object_id(bucket, key, known)).done:  # the lease before the read
                self._already_done(ref)
                return
            self._read_held(ref, held)

    def _read_held(self, ref: ObjectRef, held: HeldObject) -> None:
        bucket, key = ref.bucket, ref.key
        response = self.store.get(bucket, key, ref.version_id)
        body = response["Body"]
        try:
            version = response.get("VersionId") or ref.version_id or str(response.get("ETag", "")).strip('"')
            oid = object_id(bucket, key, version)
            lease = held.lease if held.lease is not None and held.lease.oid == oid else held.take(oid)
            if lease.done:
                self._already_done(ref)
                return
            if wants_check(ref):  # a CrowdStrike FDR file: its size and MD5 (fdr_checks)
                precheck(ref, response)
            self._write(ref, response, oid, lease.position)
        except BODY_ERRORS as exc:  # the connection dropped mid-body: reading it again may succeed
            raise ObjectError(bucket, key, "read_interrupted", f"{type(exc).__name__}: {exc}", retryable=True) from None
        finally:
            try:
                body.close()
            except Exception:  # noqa: BLE001 - closing a broken stream may fail any way; nothing is lost
                pass

    def _already_done(self, ref: ObjectRef) -> None:
        self.metrics.add("objects_already_done")
        self.log.debug(kv(action="object_already_done", bucket=ref.bucket, key=ref.key))

    def _bad_record(self, ref: ObjectRef, counter: List[int]) -> Callable[[int, BadRecord], None]:
        def report(position: int, bad: BadRecord) -> None:
            counter[0] += 1
            self.metrics.error(bad.reason)
            self.metrics.add("bad_records")
            self.log.error(kv(action="bad_record", bucket=ref.bucket, key=ref.key, position=position,
                              reason=bad.reason, detail=bad.detail))
        return report

    def _write(self, ref: ObjectRef, response: dict, oid: str, start: int) -> None:
        bucket, key = ref.bucket, ref.key
        began = time.monotonic()
        modified = response.get("LastModified")
        fallback_time = epoch_to_text(modified.timestamp() if modified is not None else time.time())
        bad = [0]
        content_hash = self.digests.hasher_for(key) if self.digests is not None else None
        log_type = log_type_of(self.cfg, ref)
        # response["Body"]: an FDR file read whole by precheck is read again from its spool
        body, check = checked(ref, response["Body"])
        events = ObjectEvents(body, bucket=bucket, key=key, log_type=log_type, start=start,
                              fallback_time=fallback_time, sourcetype=self.cfg.sourcetype,
                              on_bad=self._bad_record(ref, bad), keep_whole=bool(self.whole_object_handlers),
                              content_hash=content_hash, options=self.cfg.reader_options)
        if check is not None:
            events = CheckedEvents(events, check, ref)
        if not events.whole_object:  # decided by key or input log type: nothing to stream
            written = self.delivery.write_object(events, source=f"s3://{bucket}/{key}", oid=oid)
        if events.whole_object:  # by key, input log type or content: decided once, in events.py
            self._whole_object(ref, events, response, oid)
            return
        if content_hash is not None and "sha256" in events.meta:
            self.digests.log_finished(bucket, key, content_hash)
        if events.untimed:
            self.log.debug(kv(action="time_from_last_modified", bucket=bucket, key=key, events=events.untimed))
        self.metrics.add("objects_done")
        self.metrics.add("events", written.events)
        self.metrics.add("bytes", written.chars)
        lag = round(time.time() - ref.event_time, 1) if ref.event_time else None
        if lag is not None:
            self.metrics.lag(lag)
        self.log.info(kv(action="object_done", bucket=bucket, key=key, sourcetype=events.sourcetype or None,
                         events=written.events, bad_records=bad[0], bytes=written.chars, resumed_at=start or None,
                         seconds=round(time.monotonic() - began, 3), lag_seconds=lag))

    def _whole_object(self, ref: ObjectRef, events: ObjectEvents, response: dict, oid: str) -> None:
        """A whole object: handed to its handler (which finishes it), or skipped and finished."""
        name = events.log_type.name if events.log_type is not None else ""
        handler = self.whole_object_handlers.get(name)
        if handler is None:
            self.log.info(kv(action="digest_skipped", bucket=ref.bucket, key=ref.key, log_type=name or None))
            self.checkpoint.finish(oid)
        else:
            handler(ref, dict(response, Body=events.whole_body), oid)
        self.metrics.add("objects_done")
