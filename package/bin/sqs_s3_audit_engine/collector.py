"""The per-input collection loop: receive, read, write, checkpoint, delete.

Fate of a message (the one place these rules live):

=====================================  ==========================================
what happened                          what is done with the message
=====================================  ==========================================
every object written (or filtered,     deleted, after the last event is flushed
already done, or a digest)
``s3:TestEvent``                       deleted, no events
only ``ObjectRemoved`` and the like    deleted, no events
body not understood / SNS signature    left: it comes back after the visibility
does not verify                        timeout and the queue's redrive policy
                                       moves it to the dead-letter queue
an object failed (missing, denied,     left, likewise; objects of the message
undecodable) after retries             that did succeed are checkpointed and are
                                       not written again on redelivery
the input is stopping mid-message      returned at once (visibility 0); progress
                                       is checkpointed, the next reader resumes
=====================================  ==========================================

While a message is worked on, its visibility is extended at half the queue's
visibility timeout so no other consumer takes it. Events of one object are written in
order, in batches of at most :data:`BATCH_RECORDS` records; after each batch is flushed
the checkpoint records the position reached, so a hard kill writes again at most one
batch.
"""

from __future__ import annotations

import logging
import queue as queue_module
import random
import threading
import time
from contextlib import contextmanager
from itertools import chain
from typing import Callable, Dict, Iterator, List, Optional, Protocol, Tuple

from .aws import ObjectStore, Queue
from .checkpoint import DONE, Checkpoint, object_id
from .config import InputConfig
from .decoders import BadRecord, decode_auto, decode_json, decode_lines, event_text
from .errors import AwsCallError, NotificationError, ObjectError, StopRequested
from .metrics import Metrics, kv
from .notifications import TEST_EVENT, ObjectRef, parse_notification
from .objects import as_text, decompressed, iter_body, looks_binary
from .sourcetypes import SOURCETYPES, classify, is_cloudtrail_digest, time_reader
from .timestamps import epoch_to_text

__all__ = ["EventSink", "SinkClosed", "Collector", "ErrorReporter", "read_records", "BATCH_RECORDS", "DELETE", "LEAVE", "RETURN"]

BATCH_RECORDS = 1000  # the checkpoint window: at most this many records written twice after a kill
BATCH_CHARS = 4 << 20
DELETE, LEAVE, RETURN = "delete", "leave", "return"
_JSON_LOG_TYPES = ("cloudtrail", "iru_activity", "thrive_audit", "json")
_OBJECT_ATTEMPTS = 4


class SinkClosed(Exception):
    """The event stream is closed (the input is stopping): nothing more is written."""


class EventSink(Protocol):
    def write(self, source: str, sourcetype: str, events: List[Tuple[str, str]]) -> None:
        """Write ``(time, data)`` events and flush them; raise SinkClosed when closed."""


class ErrorReporter:
    """Logs an AWS failure at ERROR once per cause; repeats go to DEBUG until reset.

    One cause is one thing to fix: a missing queue fails every call the same way, while a
    denied call names the one permission to grant.
    """

    def __init__(self, log: logging.Logger):
        self.log = log
        self._seen: set = set()

    def report(self, exc: AwsCallError) -> None:
        denied = "denied" in exc.code.lower() or "authoriz" in exc.code.lower()
        cause = (exc.code, exc.call if denied else "")
        level = logging.DEBUG if cause in self._seen else logging.ERROR
        self._seen.add(cause)
        self.log.log(level, kv(action="aws_error", call=exc.call, reason=exc.code, detail=str(exc)))

    def reset(self) -> None:
        self._seen.clear()


class _Backoff:
    def __init__(self, base: float = 1.0, cap: float = 60.0):
        self.base, self.cap, self.failures = base, cap, 0

    def next(self) -> float:
        self.failures += 1
        ceiling = min(self.cap, self.base * (2 ** min(self.failures - 1, 16)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0


class _VisibilityKeeper(threading.Thread):
    """Extends the visibility of in-flight messages at half the visibility timeout."""

    def __init__(self, sqs: Queue, timeout: int, log: logging.Logger):
        super().__init__(name="visibility-keeper", daemon=True)
        self.sqs, self.timeout, self.log = sqs, max(int(timeout), 2), log
        self._due: Dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def track(self, receipt: str) -> None:
        with self._lock:
            self._due[receipt] = time.monotonic() + self.timeout / 2

    def untrack(self, receipt: str) -> None:
        with self._lock:
            self._due.pop(receipt, None)

    def halt(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        interval = max(0.2, min(1.0, self.timeout / 4))
        while not self._stop_event.wait(interval):
            now = time.monotonic()
            with self._lock:
                due = [r for r, at in self._due.items() if at <= now]
            for receipt in due:
                try:
                    self.sqs.change_visibility(receipt, self.timeout)
                except AwsCallError as exc:
                    self.log.warning(kv(action="visibility_extend_failed", reason=exc.code, detail=str(exc)))
                with self._lock:
                    if receipt in self._due:
                        self._due[receipt] = time.monotonic() + self.timeout / 2


def read_records(body, bucket: str, key: str, log_type: str) -> Iterator:
    """An object's records (and bad records), as the collector reads them.

    Raises:
        ObjectError: ``binary_content`` up front; gzip and structure errors while iterating.
    """
    raw = decompressed(iter_body(body), bucket, key)
    first = next(raw, b"")
    if looks_binary(first[:8192]):
        raise ObjectError(bucket, key, "binary_content", "the object is binary, not a log file (wrong key_include_regex?)")
    text = as_text(chain((first,), raw))
    if log_type == "auto":
        return decode_auto(text, bucket, key)
    if log_type in _JSON_LOG_TYPES:
        return decode_json(text, bucket, key)
    return decode_lines(text, bucket, key)


def _dead_letter_url(queue_url: str, redrive_policy: str) -> str:
    """The dead-letter queue's URL, from the redrive policy's target ARN (same endpoint)."""
    import json
    from urllib.parse import urlparse

    try:
        arn = json.loads(redrive_policy)["deadLetterTargetArn"]
        _, _, _, _, account, name = arn.split(":", 5)
    except (ValueError, KeyError, TypeError):
        return ""
    parsed = urlparse(queue_url)
    return f"{parsed.scheme}://{parsed.netloc}/{account}/{name}"


class Collector:
    """Runs one input until ``stop`` is set.

    Args:
        cfg: the validated input.
        sqs, store: AWS wrappers.
        checkpoint: the input's checkpoint.
        sink: where events go (the modular input's XML stream).
        log: the input's logger.
        sns_validator: optional SNS signature check (see :mod:`.sns`).
        wait_seconds: SQS long-poll wait; short enough to stop within 10 s.
    """

    def __init__(
        self,
        cfg: InputConfig,
        sqs: Queue,
        store: ObjectStore,
        checkpoint: Checkpoint,
        sink: EventSink,
        log: logging.Logger,
        metrics: Optional[Metrics] = None,
        sns_validator: Optional[Callable[[dict], None]] = None,
        wait_seconds: int = 5,
        summary_interval: float = 60.0,
    ):
        self.cfg, self.sqs, self.store, self.checkpoint, self.sink, self.log = cfg, sqs, store, checkpoint, sink, log
        self.metrics = metrics or Metrics()
        self.sns_validator = sns_validator
        self.wait_seconds = wait_seconds
        self.summary_interval = summary_interval
        self.stop = threading.Event()
        self._slots = threading.Semaphore(cfg.max_workers)
        self._work: "queue_module.Queue[Optional[dict]]" = queue_module.Queue()
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._object_locks: Dict[Tuple[str, str], List] = {}
        self._object_locks_guard = threading.Lock()
        self._errors = ErrorReporter(log)
        self._keeper: Optional[_VisibilityKeeper] = None
        self.visibility_timeout = 30
        self.dead_letter_queue = ""
        self._inspected = False

    # -- the loop ------------------------------------------------------------------
    def run(self, stop: Optional[threading.Event] = None, shutdown_grace: float = 6.0) -> None:
        if stop is not None:
            self.stop = stop
        self._inspect_queue()
        self._keeper = _VisibilityKeeper(self.sqs, self.visibility_timeout, self.log)
        self._keeper.start()
        workers = [
            threading.Thread(target=self._worker, name=f"worker-{i}", daemon=True)
            for i in range(self.cfg.max_workers)
        ]
        for worker in workers:
            worker.start()
        backoff = _Backoff()
        next_summary = time.monotonic() + self.summary_interval
        try:
            while not self.stop.is_set():
                if time.monotonic() >= next_summary:
                    self._log_summary()
                    next_summary = time.monotonic() + self.summary_interval
                taken = self._take_slots()
                if not taken:
                    continue
                try:
                    messages = self.sqs.receive(taken, self.wait_seconds)
                except AwsCallError as exc:
                    self._release(taken)
                    self._report(exc)
                    self.stop.wait(backoff.next())
                    continue
                if backoff.failures:
                    self.log.info(kv(action="recovered", call="sqs:ReceiveMessage"))
                    self._errors.reset()
                    if not self._inspected:
                        self._inspect_queue()
                        self._keeper.timeout = max(self.visibility_timeout, 2)
                backoff.reset()
                self._release(taken - len(messages))
                for message in messages:
                    self.metrics.add("messages_received")
                    self._keeper.track(message["ReceiptHandle"])
                    self._work.put(message)
        finally:
            self.stop.set()
            deadline = time.monotonic() + shutdown_grace
            for _ in workers:
                self._work.put(None)
            for worker in workers:
                worker.join(max(0.0, deadline - time.monotonic()))
            self._keeper.halt()
            self._log_summary()

    def _take_slots(self) -> int:
        if not self._slots.acquire(timeout=0.5):
            return 0
        taken = 1
        while taken < self.cfg.sqs_batch_size and self._slots.acquire(blocking=False):
            taken += 1
        return taken

    def _release(self, count: int) -> None:
        for _ in range(max(0, count)):
            self._slots.release()

    def _inspect_queue(self) -> None:
        """Read the visibility timeout and warn when no dead-letter queue is set."""
        try:
            attrs = self.sqs.attributes(["VisibilityTimeout", "RedrivePolicy"])
        except AwsCallError as exc:
            self._report(exc)
            return
        self._inspected = True
        self.visibility_timeout = int(attrs.get("VisibilityTimeout", 30) or 30)
        redrive = attrs.get("RedrivePolicy")
        if not redrive:
            self.log.warning(kv(
                action="no_redrive_policy", queue=self.cfg.sqs_queue_url,
                detail="messages that keep failing are retried until they expire; "
                       "set a redrive policy with a dead-letter queue on the queue",
            ))
        else:
            self.dead_letter_queue = _dead_letter_url(self.cfg.sqs_queue_url, redrive)
        self.log.info(kv(action="started", queue=self.cfg.sqs_queue_url,
                         visibility_timeout=self.visibility_timeout, workers=self.cfg.max_workers,
                         log_type=self.cfg.log_type))

    def _report(self, exc: AwsCallError) -> None:
        self._errors.report(exc)

    def _log_summary(self) -> None:
        fields = self.metrics.summary()
        try:
            attrs = self.sqs.attributes(["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
            fields["queue_depth"] = attrs.get("ApproximateNumberOfMessages")
            fields["queue_in_flight"] = attrs.get("ApproximateNumberOfMessagesNotVisible")
        except AwsCallError:
            pass
        if self.dead_letter_queue:
            try:
                dlq = Queue(self.sqs.client, self.dead_letter_queue).attributes(["ApproximateNumberOfMessages"])
                fields["dead_letter_depth"] = dlq.get("ApproximateNumberOfMessages")
            except AwsCallError:
                self.dead_letter_queue = ""  # not readable with these permissions: stop asking
        self.log.info(kv(action="summary", **fields))

    # -- one message ---------------------------------------------------------------
    def _worker(self) -> None:
        while True:
            message = self._work.get()
            if message is None:
                return
            try:
                self.handle(message)
            except Exception:  # a bug must not kill the worker or block the queue
                self.log.exception(kv(action="message_failed", message_id=message.get("MessageId")))
            finally:
                if self._keeper is not None:
                    self._keeper.untrack(message["ReceiptHandle"])
                self._slots.release()

    def handle(self, message: dict) -> str:
        """Work on one message and carry out its fate; returns the fate."""
        if self.stop.is_set():
            fate = RETURN
        else:
            fate = self._process(message)
        receipt = message["ReceiptHandle"]
        try:
            if fate == DELETE:
                self.sqs.delete(receipt)
                self.metrics.add("messages_deleted")
            elif fate == RETURN:
                self.sqs.change_visibility(receipt, 0)
                self.metrics.add("messages_returned")
            else:
                self.metrics.add("messages_left")
        except AwsCallError as exc:
            self.metrics.error(exc.code)
            self.log.error(kv(action="message_fate_failed", fate=fate, message_id=message.get("MessageId"),
                              reason=exc.code, detail=str(exc)))
        return fate

    def _process(self, message: dict) -> str:
        message_id = message.get("MessageId", "")
        receive_count = message.get("Attributes", {}).get("ApproximateReceiveCount")
        try:
            note = parse_notification(message.get("Body", ""), self.sns_validator)
        except NotificationError as exc:
            self.metrics.error("unusable_notification")
            self.log.error(kv(action="unusable_notification", message_id=message_id,
                              receive_count=receive_count, reason=str(exc),
                              detail="left for the queue's redrive policy (dead-letter queue)"))
            return LEAVE
        if note.kind.endswith(TEST_EVENT):
            self.metrics.add("test_events")
            self.log.info(kv(action="test_event", message_id=message_id))
            return DELETE
        for ignored in note.ignored:
            self.log.debug(kv(action="ignored_record", message_id=message_id, detail=ignored))
        failed = False
        for ref in note.objects:
            if self.stop.is_set():
                return RETURN
            if not self.cfg.wants_key(ref.key):
                self.metrics.add("objects_skipped")
                self.log.debug(kv(action="object_filtered", bucket=ref.bucket, key=ref.key))
                continue
            try:
                self._ingest(ref)
            except StopRequested:
                return RETURN
            except (ObjectError, AwsCallError) as exc:
                failed = True
                reason = exc.reason if isinstance(exc, ObjectError) else exc.code
                self.metrics.add("objects_failed")
                self.metrics.error(reason)
                self.log.error(kv(action="object_failed", bucket=ref.bucket, key=ref.key, reason=reason,
                                  detail=str(exc), message_id=message_id, receive_count=receive_count))
        return LEAVE if failed else DELETE

    # -- one object ----------------------------------------------------------------
    @contextmanager
    def _object_lock(self, ref: ObjectRef) -> Iterator[None]:
        """Two messages naming one object are worked on one after the other."""
        name = (ref.bucket, ref.key)
        with self._object_locks_guard:
            entry = self._object_locks.setdefault(name, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._object_locks_guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._object_locks[name]

    def ingest_object(self, ref: ObjectRef) -> None:
        """Read one object and write its events, exactly once across every caller.

        Raises:
            ObjectError, AwsCallError: after retries; StopRequested when stopping.
        """
        self._ingest(ref)

    def _ingest(self, ref: ObjectRef) -> None:
        with self._object_lock(ref):
            backoff = _Backoff(base=0.5, cap=8.0)
            attempt = 1
            while True:
                try:
                    self._ingest_once(ref)
                    return
                except (ObjectError, AwsCallError) as exc:
                    if not exc.retryable or attempt >= _OBJECT_ATTEMPTS:
                        raise
                    delay = backoff.next()
                    self.log.warning(kv(action="object_retry", bucket=ref.bucket, key=ref.key, attempt=attempt,
                                        reason=getattr(exc, "reason", None) or getattr(exc, "code", ""),
                                        detail=str(exc), retry_in=round(delay, 1)))
                    attempt += 1
                    if self.stop.wait(delay):
                        raise StopRequested() from None

    def _ingest_once(self, ref: ObjectRef) -> None:
        bucket, key = ref.bucket, ref.key
        known = ref.version_id or ref.etag.strip('"')
        if known and self.checkpoint.is_done(object_id(bucket, key, known)):
            self.metrics.add("objects_already_done")
            self.log.debug(kv(action="object_already_done", bucket=bucket, key=key))
            return
        response = self.store.get(bucket, key, ref.version_id)
        body = response["Body"]
        try:
            version = response.get("VersionId") or ref.version_id or str(response.get("ETag", "")).strip('"')
            oid = object_id(bucket, key, version)
            start = self.checkpoint.position(oid)
            if start == DONE:
                self.metrics.add("objects_already_done")
                self.log.debug(kv(action="object_already_done", bucket=bucket, key=key))
                return
            modified = response.get("LastModified")
            fallback_time = epoch_to_text(modified.timestamp()) if modified is not None else epoch_to_text(time.time())
            self._stream_object(ref, body, oid, start, fallback_time)
        except OSError as exc:
            # The connection dropped mid-body.
            raise ObjectError(bucket, key, "read_interrupted", f"{type(exc).__name__}: {exc}", retryable=True) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("botocore", "urllib3")):
                raise ObjectError(bucket, key, "read_interrupted", f"{type(exc).__name__}: {exc}", retryable=True) from None
            raise
        finally:
            try:
                body.close()
            except Exception:  # closing a broken stream may fail; nothing is lost
                pass

    def _records(self, ref: ObjectRef, body) -> Iterator:
        return read_records(body, ref.bucket, ref.key, self.cfg.log_type)

    def _stream_object(self, ref: ObjectRef, body, oid: str, start: int, fallback_time: str) -> None:
        bucket, key = ref.bucket, ref.key
        source = f"s3://{bucket}/{key}"
        began = time.monotonic()
        log_type = "" if self.cfg.log_type == "auto" else self.cfg.log_type
        read_time = time_reader(log_type) if log_type else None
        sourcetype = ""
        position = 0
        batch: List[Tuple[str, str]] = []
        batch_chars = 0
        events = bad = 0
        size = 0
        untimed = 0
        try:
            for item in self._records(ref, body):
                if isinstance(item, BadRecord):
                    if position >= start:
                        bad += 1
                        self.metrics.error(item.reason)
                        self.log.error(kv(action="bad_record", bucket=bucket, key=key, position=position,
                                          reason=item.reason, detail=item.detail))
                    position += 1
                    continue
                if read_time is None or not sourcetype:
                    if not log_type:
                        log_type = classify(item)
                        read_time = time_reader(log_type)
                    if log_type in ("cloudtrail", "json") and is_cloudtrail_digest(item.value):
                        self.log.info(kv(action="digest_skipped", bucket=bucket, key=key))
                        break
                    sourcetype = self.cfg.sourcetype or SOURCETYPES[log_type]
                if position < start:
                    position += 1
                    continue
                stamp = read_time(item)
                if stamp is None:
                    stamp = fallback_time
                    untimed += 1
                data = event_text(item)
                batch.append((stamp, data))
                batch_chars += len(data)
                position += 1
                if len(batch) >= BATCH_RECORDS or batch_chars >= BATCH_CHARS:
                    self._flush(source, sourcetype, batch, oid, position)
                    events += len(batch)
                    size += batch_chars
                    batch, batch_chars = [], 0
        except (ObjectError, AwsCallError, OSError):
            # What was decoded before the failure is written and checkpointed, so a
            # retry or a redelivery resumes after it instead of losing or repeating it.
            if batch:
                self._flush(source, sourcetype, batch, oid, position)
            raise
        if batch:
            self._flush(source, sourcetype, batch, oid, position)
            events += len(batch)
            size += batch_chars
        self.checkpoint.finish(oid)
        if untimed:
            self.log.debug(kv(action="time_from_last_modified", bucket=bucket, key=key, events=untimed))
        self.metrics.add("objects_done")
        self.metrics.add("events", events)
        self.metrics.add("bytes", size)
        self.metrics.add("bad_records", bad)
        self.metrics.object_done(source)
        lag = round(time.time() - ref.event_time, 1) if ref.event_time else None
        if lag is not None:
            self.metrics.lag(lag)
        self.log.info(kv(action="object_done", bucket=bucket, key=key, sourcetype=sourcetype or None,
                         events=events, bad_records=bad, bytes=size, resumed_at=start or None,
                         seconds=round(time.monotonic() - began, 3), lag_seconds=lag))

    def _flush(self, source: str, sourcetype: str, batch: List[Tuple[str, str]], oid: str, position: int) -> None:
        try:
            self.sink.write(source, sourcetype, batch)
        except SinkClosed:
            raise StopRequested() from None
        self.checkpoint.advance(oid, position)
        if self.stop.is_set():
            raise StopRequested()
