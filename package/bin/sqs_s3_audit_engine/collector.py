"""Stage 6: the per-input SQS loop and the fate of every message.

Receive a batch, hand each message to a worker; a worker parses the notification (stage 1),
reads each object it names through the one-object path (:mod:`.ingest`: lease, GetObject,
events, delivery, the object's fate), then hands the message's fate to :mod:`.fates`,
which deletes (or gives back) messages in batches while the worker takes its next message.
Receiving runs ahead of the workers (:mod:`.receiving`): messages wait, received, for every
busy worker, so a worker that finishes never waits for a ReceiveMessage round trip, and the
next receive never waits for the deletes before it.

Fate of a message (the one place these rules live):

=====================================  ==========================================
what happened                          what is done with the message
=====================================  ==========================================
every object written (or filtered,     deleted, after the last event is flushed
already done, or a digest handled or
skipped)
``s3:TestEvent``                       deleted, no events
an SNS message that names no S3        deleted, no events: it can never be read;
object (a topic shared with other      WARNING naming its topic and subject, once
notifications)                         per topic (:mod:`.notification_records`)
AWS Config records in the message      written like an object's records
(item / compliance changes)            (checkpointed by topic and message id),
                                       then deleted with the message
only ``ObjectRemoved`` and the like    deleted, no events
body not understood / SNS signature    left: it comes back after the visibility
does not verify                        timeout and the queue's redrive policy
                                       moves it to the dead-letter queue
an object failed (missing, denied,     left, likewise; objects of the message
undecodable) after retries             that did succeed are checkpointed and are
                                       not written again on redelivery
the input is stopping mid-message      returned at once (visibility 0); progress
                                       is checkpointed and the object's lease
                                       freed: the next reader resumes at once
a peer holds the object's lease       kept hidden, lease polled, nothing written;
(shared checkpoint)                    deleted once finished there, resumed if it died
the checkpoint store is down           kept hidden, nothing written or taken anew
=====================================  ==========================================

While a message is worked on, its visibility is extended at half the queue's
visibility timeout (:mod:`.visibility`) so no other consumer takes it. Events of one object
are written in order, in batches; after each batch is flushed the checkpoint records the
position reached, so a hard kill writes again at most one batch (:mod:`.delivery.batches`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Dict, Optional

from .interfaces import ObjectStoreApi, QueueApi
from .config import InputConfig
from .delivery.batches import Delivery
from .delivery.leases import LeasedCheckpoint
from .errors import NotificationError, StopRequested
from .fates import FATE_LINGER, Fate, Fates
from .ingest import Ingest, WholeObjectHandler
from .receiving import Intake, every, receivers_for
from .metrics import Metrics, kv
from .queue_watch import QueueWatch
from .notification_records import UnrelatedReporter, write_records
from .notifications import TEST_EVENT, parse_notification
from .retry import ErrorReporter
from .visibility import VisibilityKeeper

__all__ = ["Collector", "WholeObjectHandler"]


class Collector:
    """Runs one input until ``stop`` is set. Built by :func:`.wiring.build_input`.

    Args:
        cfg: the validated input.
        queue, store: AWS wrappers.
        checkpoint: the input's checkpoint (finished objects, positions).
        delivery: writes events and advances the checkpoint.
        log: the input's logger.
        metrics: counters (a new one when None).
        sns_validator: optional SNS signature check (see :mod:`.sns`).
        whole_object_handlers: log type name -> handler for ``whole_object`` types;
            objects of such a type without a handler are skipped.
        digests: the CloudTrail digest intake (:mod:`.integrity.intake`), or None.
        wait_seconds: SQS long-poll wait; short enough to stop within 10 s.
        summary_interval: seconds between summary log lines.
    """

    def __init__(
        self,
        cfg: InputConfig,
        *,
        queue: QueueApi,
        store: ObjectStoreApi,
        checkpoint: LeasedCheckpoint,
        delivery: Delivery,
        log: logging.Logger,
        metrics: Optional[Metrics] = None,
        sns_validator: Optional[Callable[[dict], None]] = None,
        whole_object_handlers: Optional[Dict[str, WholeObjectHandler]] = None,
        digests=None,
        wait_seconds: int = 5,
        summary_interval: float = 60.0,
    ):
        self.cfg, self.sqs, self.store, self.checkpoint, self.log = cfg, queue, store, checkpoint, log
        self.delivery = delivery
        self.metrics = metrics or Metrics()
        self.sns_validator = sns_validator
        self.digests = digests  # integrity.intake.DigestIntake: hashes CloudTrail log files, settles digests
        self.ingest = Ingest(cfg, store=store, checkpoint=checkpoint, delivery=delivery, log=log,
                             metrics=self.metrics, whole_object_handlers=whole_object_handlers, digests=digests)
        self.wait_seconds = wait_seconds
        self.summary_interval = summary_interval
        self.stop = delivery.stop
        self._fates: Optional[Fates] = None
        self._errors = ErrorReporter(log)
        self._unrelated = UnrelatedReporter(log, self.metrics)
        self._keeper: Optional[VisibilityKeeper] = None
        self.watch = QueueWatch(cfg, queue, log, self._errors)
        self._intake = Intake(queue, max_workers=cfg.max_workers, batch_size=cfg.sqs_batch_size,
                              wait_seconds=wait_seconds, errors=self._errors, metrics=self.metrics, log=log)

    # -- the loop ------------------------------------------------------------------
    def run(self, stop: Optional[threading.Event] = None, shutdown_grace: float = 6.0) -> None:
        if stop is not None:
            self.stop = self.delivery.stop = stop
        self.watch.inspect()
        self.checkpoint.attach(self.stop, self.watch.visibility_timeout)  # lease time, waits end with the input
        self._keeper = VisibilityKeeper(self.sqs, self.watch.visibility_timeout, self.log)
        self._keeper.start()
        self._fates = Fates(self.sqs, self.log, self.metrics, on_done=self._keeper.untrack, linger=FATE_LINGER)
        workers = [threading.Thread(target=self._worker, name=f"worker-{i}", daemon=True)
                   for i in range(self.cfg.max_workers)]
        receivers = [threading.Thread(target=self._receive, name=f"receiver-{i}", daemon=True)
                     for i in range(1, receivers_for(self.cfg.max_workers))]
        # Pending digests are settled off the receive loop (their S3 lookups must not hold it up).
        tickers = [threading.Thread(target=self._tick_digests, name="digest-ticker", daemon=True)
                   ] if self.digests is not None else []
        for thread in workers + receivers + tickers:
            thread.start()
        try:
            self._receive(main=True)
        finally:
            self.stop.set()
            deadline = time.monotonic() + shutdown_grace
            for ticker in tickers:
                ticker.join(max(0.0, deadline - time.monotonic()))
            for receiver in receivers:
                receiver.join(max(0.0, deadline - time.monotonic()))
            for _ in workers:
                self._intake.work.put(None)
            for worker in workers:
                worker.join(max(0.0, deadline - time.monotonic()))
            # The deletes and give-backs handed in so far are carried out before leaving.
            self._fates.close(max(1.0, deadline - time.monotonic()))
            self._keeper.halt()
            self.watch.summary(self.metrics)

    def _receive(self, main: bool = False) -> None:
        def gate() -> None:
            if not self.checkpoint.available:
                self.checkpoint.wait_available(self.stop)  # the store is down: take no new message

        def tick() -> None:
            summary()
            gate()

        def recovered() -> None:
            if not self.watch.inspected:
                self.watch.inspect()
                self._keeper.timeout = max(self.watch.visibility_timeout, 2)

        summary = every(self.summary_interval, lambda: self.watch.summary(self.metrics))
        self._intake.loop(self.stop, keeper=self._keeper, fates=self._fates, on_recovered=recovered,
                          tick=tick if main else gate)

    def _tick_digests(self) -> None:
        """Pending digests whose files arrived or whose grace is over, every few seconds."""
        while not self.stop.wait(2.0):
            self.digests.tick()

    # -- one message ---------------------------------------------------------------
    def _worker(self) -> None:
        while True:
            message = self._intake.work.get()
            if message is None:
                return
            try:
                self.handle(message)
            except Exception:  # a bug must not kill the worker or block the queue
                ref = self.ingest.current()
                self.log.exception(kv(action="message_failed", message_id=message.get("MessageId"),
                                      bucket=ref.bucket if ref else None, key=ref.key if ref else None))
            finally:
                self.ingest.forget_current()
                self._intake.done()

    def handle(self, message: dict) -> Fate:
        """Work on one message and carry out its fate; returns the fate. A delete or a
        give-back goes to :class:`.Fates` (batched; carried out before ``run`` returns, or
        before this returns when the collector is not running)."""
        try:
            fate = Fate.RETURN if self.stop.is_set() else self._process(message)
        except BaseException:
            self._untrack(message)  # left: it comes back after the visibility timeout
            raise
        fates = self._fates or Fates(self.sqs, self.log, self.metrics)
        if fate == Fate.DELETE:
            fates.delete(message)
        elif fate == Fate.RETURN:
            fates.give_back(message)
        else:
            self.metrics.add("messages_left")
            self._untrack(message)
        if fates is not self._fates:
            fates.close()
        return fate

    def _untrack(self, message: dict) -> None:
        if self._keeper is not None:
            self._keeper.untrack(message["ReceiptHandle"])

    def _process(self, message: dict) -> Fate:
        message_id = message.get("MessageId", "")
        receive_count = message.get("Attributes", {}).get("ApproximateReceiveCount")
        try:
            note = parse_notification(message.get("Body", ""), self.sns_validator, self.cfg.allowed_buckets)
        except NotificationError as exc:
            self.metrics.error("unusable_notification")
            self.log.error(kv(action="unusable_notification", message_id=message_id,
                              receive_count=receive_count, reason=str(exc),
                              detail="left for the queue's redrive policy (dead-letter queue)"))
            return Fate.LEAVE
        if note.kind.endswith(TEST_EVENT):
            self.metrics.add("test_events")
            self.log.info(kv(action="test_event", message_id=message_id))
            return Fate.DELETE
        if note.unrelated:
            self._unrelated.report(note, message_id)
            return Fate.DELETE
        for ignored in note.ignored:
            self.log.debug(kv(action="ignored_record", message_id=message_id, detail=ignored))
        if note.records:
            try:
                write_records(note, message_id, checkpoint=self.checkpoint, delivery=self.delivery,
                              cfg=self.cfg, metrics=self.metrics, log=self.log)
            except StopRequested:
                return Fate.RETURN
        try:
            ok = self.ingest.read_objects(note.objects, message_id=message_id, receive_count=receive_count)
        except StopRequested:
            return Fate.RETURN
        return Fate.DELETE if ok else Fate.LEAVE
