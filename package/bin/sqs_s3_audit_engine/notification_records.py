"""Records a notification carries itself, and SNS messages that are none of the input's business.

AWS Config's SNS topic sends configuration item changes, compliance changes and status
messages as the message itself (:class:`.notification_types.InlineRecord`): they are written as
events like the records of an object. One message is one "object" for the checkpoint, named
by the SNS topic and message id (the same on every redelivery; with raw message delivery,
which has no envelope, by the record's content), so a redelivered message writes nothing
twice.

A message from a topic shared with other notifications (alarms, other services) names no S3
object and never will: retrying it cannot succeed, and the dead-letter queue would fill with
messages nobody can act on, hiding the ones that failed for a reason. Such a message is
deleted; the first one of each topic is logged at WARNING with the topic and subject (so the
admin can add a subscription filter policy, or give the logs a topic of their own), later
ones at DEBUG; ``unrelated_notifications`` counts them all.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Iterator, List, Tuple

from . import logtypes
from .decoders import Item, event_text
from .delivery.checkpoint import DONE, object_id
from .logtypes import NOT_EVENT
from .metrics import Metrics, kv
from .notification_types import MAX_TOPIC_CHARS, InlineRecord, Notification
from .timestamps import epoch_to_text

__all__ = ["RecordEvents", "records_oid", "write_records", "UnrelatedReporter"]


def records_oid(records: List[InlineRecord]) -> str:
    """The checkpoint id of a message's records: its topic and SNS message id."""
    first = records[0]
    name = first.message_id or hashlib.sha256(event_text(Item(first.value, None, "")).encode("utf-8")).hexdigest()
    return object_id("sns", first.source, name)


class RecordEvents:
    """The ``(time, data)`` events of a notification's records, shaped like
    :class:`.events.ObjectEvents` for :meth:`.delivery.batches.Delivery.write_object`."""

    whole_object = False  # records, never a whole-object file

    def __init__(self, records: List[InlineRecord], *, start: int = 0, fallback_time: str = "0",
                 sourcetype: str = ""):
        self.records, self.start, self.fallback_time = records, start, fallback_time
        self.position = 0
        self.meta: dict = {}
        self.sourcetype = sourcetype or logtypes.by_name(records[0].log_type).sourcetype

    def __iter__(self) -> Iterator[Tuple[str, str]]:
        for position, record in enumerate(self.records):
            item = Item(record.value, None, "")
            stamp = logtypes.by_name(record.log_type).new_reader()(item)
            self.position = position + 1
            if position < self.start or stamp is NOT_EVENT:
                continue
            yield (stamp if isinstance(stamp, str) else self.fallback_time), event_text(item)


def write_records(note: Notification, message_id: str, *, checkpoint, delivery, cfg, metrics: Metrics,
                  log: logging.Logger) -> None:
    """Write the records a message carries, once across redeliveries.

    Raises:
        StopRequested: the input is stopping (what was written is checkpointed).
    """
    oid = records_oid(note.records)
    start = checkpoint.position(oid)
    if start == DONE:
        metrics.add("objects_already_done")
        return
    events = RecordEvents(note.records, start=start, fallback_time=epoch_to_text(time.time()),
                          sourcetype=cfg.sourcetype)
    source = note.records[0].source or cfg.sqs_queue_url
    written = delivery.write_object(events, source=source, oid=oid)
    metrics.add("events", written.events)
    log.info(kv(action="records_done", message_id=message_id, source=source, sourcetype=events.sourcetype,
                events=written.events))


class UnrelatedReporter:
    """Logs an unrelated SNS message at WARNING once per topic, then at DEBUG.

    Bounded whatever the senders do: at most ``max_topics`` topics are remembered (least
    recently seen forgotten first), a topic is remembered by its name cut to
    ``MAX_TOPIC_CHARS``, and at most ``max_warnings`` WARNING lines are written a minute
    (a flood of new topics goes to DEBUG, with one WARNING a minute saying how many).
    """

    def __init__(self, log: logging.Logger, metrics: Metrics, *, max_topics: int = 1000, max_warnings: int = 20,
                 clock=time.monotonic):
        self.log, self.metrics = log, metrics
        self.max_topics, self.max_warnings, self.clock = max_topics, max_warnings, clock
        self._topics: "OrderedDict[str, None]" = OrderedDict()
        self._window_start, self._warned, self._unshown = 0.0, 0, 0
        self._lock = threading.Lock()

    def report(self, note: Notification, message_id: str) -> None:
        self.metrics.add("unrelated_notifications")
        topic = note.unrelated.split(" ", 1)[0][:MAX_TOPIC_CHARS + 16]
        with self._lock:
            first = topic not in self._topics
            self._topics[topic] = None
            self._topics.move_to_end(topic)
            while len(self._topics) > self.max_topics:
                self._topics.popitem(last=False)
            now = self.clock()
            if now - self._window_start >= 60:
                unshown, self._unshown = self._unshown, 0
                self._window_start, self._warned = now, 0
                if unshown:
                    self.log.warning(kv(action="unrelated_notifications_not_shown", count=unshown,
                                        detail="more SNS topics sent messages naming no S3 object (logged at DEBUG)"))
            if first and self._warned >= self.max_warnings:
                first = False
                self._unshown += 1
            elif first:
                self._warned += 1
        line = kv(action="unrelated_notification", message_id=message_id, detail=note.unrelated,
                  fate="deleted: an SNS message that names no S3 object can never be read; add a subscription "
                       "filter policy or send the logs through a topic of their own")
        (self.log.warning if first else self.log.debug)(line)
