"""Batches of events -> the event sink -> the checkpoint.

Events of one object are written in order, in batches of at most :data:`BATCH_RECORDS`
records (and :data:`BATCH_CHARS` characters); after each batch is written and flushed the
checkpoint records the position reached, so a hard kill writes again at most one batch
(the checkpoint window). After the last batch the checkpoint records the object finished and
no position before it (one journal line, or one DynamoDB write, per small object instead of
two): a kill before that line writes that last batch again, the same one-batch window. When
the object fails mid-way, what was decoded before the failure is written and checkpointed,
so a retry or a redelivery resumes after it instead of losing or repeating it.
"""

from __future__ import annotations

import threading
from typing import Iterator, List, NamedTuple, Optional, Protocol, Tuple

from ..errors import AwsCallError, ObjectError, StopRequested

__all__ = ["BATCH_RECORDS", "BATCH_CHARS", "EventSink", "SinkClosed", "Delivery", "Written"]

#: The checkpoint window: at most this many records are written twice after a hard kill.
BATCH_RECORDS = 1000
BATCH_CHARS = 4 << 20


class SinkClosed(Exception):
    """The event stream is closed (the input is stopping): nothing more is written."""


class EventSink(Protocol):
    def write(self, source: str, sourcetype: str, events: List[Tuple[str, str]]) -> None:
        """Write ``(time, data)`` events and flush them; raise SinkClosed when closed."""


class Progress(Protocol):
    def advance(self, oid: str, next_position: int) -> None: ...

    def finish(self, oid: str, meta: Optional[dict] = None) -> None: ...


class Events(Protocol):
    """What :meth:`Delivery.write_object` reads: ``(time, data)`` events and where they are
    (:class:`..events.ObjectEvents`, :class:`..notification_records.RecordEvents`)."""

    position: int
    sourcetype: str
    meta: dict
    whole_object: bool

    def __iter__(self) -> Iterator[Tuple[str, str]]: ...


class Written(NamedTuple):
    events: int
    chars: int


class Delivery:
    """Writes an object's events through the sink and keeps the checkpoint in step.

    Args:
        sink: where events go (the modular input's XML stream).
        checkpoint: records positions and finished objects.
        stop: set when the input is stopping; checked after every batch.
        window: records per batch (the checkpoint window).
        max_chars: characters per batch.
    """

    def __init__(
        self,
        sink: EventSink,
        checkpoint: Progress,
        *,
        stop: Optional[threading.Event] = None,
        window: int = BATCH_RECORDS,
        max_chars: int = BATCH_CHARS,
    ):
        self.sink, self.checkpoint = sink, checkpoint
        self.stop = stop or threading.Event()
        self.window, self.max_chars = window, max_chars

    def write_object(self, events: Events, *, source: str, oid: str) -> Written:
        """Write every event of ``events``, then mark the object finished (with ``events.meta``)
        unless it turned out to be a whole object (no events: its handler finishes it).

        Raises:
            StopRequested: the input is stopping (after the batch in hand was written and
                checkpointed) or the sink is closed.
            ObjectError, AwsCallError, OSError: reading failed; what was read before is
                written and checkpointed first.
        """
        batch: List[Tuple[str, str]] = []
        chars = count = 0
        total_chars = 0
        window, max_chars = self.window, self.max_chars
        try:
            for event in events:
                batch.append(event)
                chars += len(event[1])
                if len(batch) >= window or chars >= max_chars:
                    self._flush(source, events.sourcetype, batch, oid, events.position)
                    count += len(batch)
                    total_chars += chars
                    batch, chars = [], 0
        except (ObjectError, AwsCallError, OSError):
            if batch:
                self._flush(source, events.sourcetype, batch, oid, events.position)
            raise
        if events.whole_object:  # a whole object is finished by whoever handles it (ingest.py)
            if batch:
                self._flush(source, events.sourcetype, batch, oid, events.position)
                count += len(batch)
                total_chars += chars
            return Written(count, total_chars)
        if batch:  # the last batch: written, then the object finished (no position line before it)
            self._write(source, events.sourcetype, batch)
            count += len(batch)
            total_chars += chars
        self.checkpoint.finish(oid, events.meta or None)
        return Written(count, total_chars)

    def _flush(self, source: str, sourcetype: str, batch: List[Tuple[str, str]], oid: str, position: int) -> None:
        self._write(source, sourcetype, batch)
        self.checkpoint.advance(oid, position)
        if self.stop.is_set():
            raise StopRequested()

    def _write(self, source: str, sourcetype: str, batch: List[Tuple[str, str]]) -> None:
        try:
            self.sink.write(source, sourcetype, batch)
        except SinkClosed:
            raise StopRequested() from None
