"""Stage 4: one object at position N -> its ``(time, data)`` events.

:class:`ObjectEvents` reads an object's body (stage 2, :mod:`.objects`), decodes it with
the decoder its log type names (:mod:`.decoders`), decides the log type (:mod:`.logtypes`)
and yields the events of every position from ``start`` on. Positions (records, bad records,
header lines) are counted identically on every read of the same object, which is what lets
the checkpoint resume mid-object. The one-object path (:mod:`.ingest`), the doctor's object
check, the bench and the tests read objects through this one class.

Whole-object log types (``LogType.whole_object``: a CloudTrail digest file, an AWS test
file) are decided here and only here: by the key or the input's log type before anything
is read, else by the first record. Such an object yields no events; its body, whole, is
:attr:`ObjectEvents.whole_body` for the caller's handler, so it is never fetched twice.
"""

from __future__ import annotations

from itertools import chain
from typing import Callable, Iterator, Mapping, Optional, Tuple

from . import logtypes
from .decoders import BadRecord, decode_auto, decode_json, decode_lines, event_text
from .logtypes.csv_rows import decode_csv
from .errors import ObjectError
from .logtypes import NOT_EVENT, LogType
from .objects import as_text, decompressed, iter_body, looks_binary

__all__ = ["ObjectEvents", "read_records", "WHOLE_OBJECT_MAX"]

_DECODERS = {"json": decode_json, "lines": decode_lines, "csv": decode_csv}
#: Bytes of a body kept, until its log type is decided, to hand a whole object found by
#: content to its handler without a second GetObject (a digest lists an hour of files: a few
#: hundred KB at most; :data:`.integrity.intake.MAX_DIGEST_BYTES` is the same bound).
WHOLE_OBJECT_MAX = 64 << 20


class _Recording:
    """A body that keeps the bytes read from it, up to ``cap``, until ``stop()``."""

    def __init__(self, body, cap: int):
        self.body, self.cap = body, cap
        self.parts: list = []
        self.size = 0
        self.recording = True
        self.overflow = False

    def read(self, size: int = -1) -> bytes:
        chunk = self.body.read(size)
        if self.recording and chunk:
            self.size += len(chunk)
            if self.size > self.cap:
                self.stop()
                self.overflow = True
            else:
                self.parts.append(chunk)
        return chunk

    def stop(self) -> None:
        self.recording, self.parts = False, []

    def replay(self) -> "_Replay":
        return _Replay(b"".join(self.parts), self.body)

    def close(self) -> None:
        self.body.close()


class _Replay:
    """The bytes already read of a body, then the rest of it: the whole body again."""

    def __init__(self, head: bytes, body):
        self.head, self.body = head, body

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size is None or size < 0:
                head, self.head = self.head, b""
                return head + self.body.read()
            head, self.head = self.head[:size], self.head[size:]
            return head
        return self.body.read(size)

    def close(self) -> None:
        self.body.close()


def _hashed(chunks: Iterator[bytes], content_hash) -> Iterator[bytes]:
    for chunk in chunks:
        content_hash.update(chunk)
        yield chunk


def read_records(body, bucket: str, key: str, log_type: Optional[LogType] = None, raw=None) -> Iterator:
    """An object's positions: records (``Item``) and bad records (``BadRecord``).

    ``log_type`` None decodes by content (JSON when it starts like JSON, else lines).
    ``raw``: the object's uncompressed chunks when the caller made them (to hash them).

    Raises:
        ObjectError: ``binary_content`` up front; gzip and structure errors while iterating.
    """
    if raw is None:
        raw = decompressed(iter_body(body), bucket, key)
    first = next(raw, b"")
    if looks_binary(first[:8192]):
        raise ObjectError(bucket, key, "binary_content",
                          "the object is binary, not a log file (wrong key_include_regex?)")
    text = as_text(chain((first,), raw))
    if log_type is None:
        return decode_auto(text, bucket, key)
    return _DECODERS[log_type.decoder](text, bucket, key)


class ObjectEvents:
    """The events of one object from position ``start`` on; iterate once.

    Args:
        body: the object's body (a file-like ``read(n)``).
        bucket, key: the object (for errors and key-based detection).
        log_type: the input's ``log_type`` (``auto`` or a type name).
        start: the first position to yield (positions before it are read and skipped).
        fallback_time: epoch text used for records with no usable time (LastModified).
        sourcetype: the input's sourcetype override, or "".
        on_bad: called with ``(position, BadRecord)`` for each bad record from ``start`` on.
        keep_whole: keep the bytes read until the log type is decided, so that a whole
            object found by content is :attr:`whole_body` (set when the caller has a
            handler for whole objects; otherwise nothing is kept).
        content_hash: fed every uncompressed byte of the object (``update(bytes)``,
            ``hexdigest()``); when the object was read to its end, ``meta["sha256"]`` holds
            the hex digest (a CloudTrail log file, for digest validation). The whole object
            is read even when resuming at ``start``, so the hash is always whole.
        options: input parameters a log type reads per object (``csv_time_field``): the
            log type's ``options`` name them.

    Attributes, valid while and after iterating:
        position: the next position (every position before it has been handled).
        log_type: the object's :class:`LogType` (None until the first record is seen).
        sourcetype: the sourcetype of its events.
        untimed: events that took ``fallback_time``.
        whole_object: True when the object is no list of records (a ``whole_object`` log
            type, by key or input log type before iterating, else by its first record):
            nothing is yielded.
        whole_body: the whole object's body, unread (with ``keep_whole``, or decided before
            iterating), for its handler; None otherwise.
        meta: what is kept with the finished object in the checkpoint (small values).
    """

    def __init__(
        self,
        body,
        *,
        bucket: str,
        key: str,
        log_type: str = "auto",
        start: int = 0,
        fallback_time: str = "0",
        sourcetype: str = "",
        on_bad: Optional[Callable[[int, BadRecord], None]] = None,
        keep_whole: bool = False,
        content_hash=None,
        options: Optional[Mapping[str, str]] = None,
    ):
        self.body, self.bucket, self.key = body, bucket, key
        self._content_hash = content_hash
        self.start = start
        self.fallback_time = fallback_time
        self._sourcetype = sourcetype
        self._on_bad = on_bad
        self._options = options or {}
        self.position = 0
        self.untimed = 0
        self.whole_object = False
        self.meta: dict = {}
        self.log_type: Optional[LogType] = None
        self._fixed: Optional[LogType] = None
        if log_type != "auto":
            self._fixed = logtypes.by_name(log_type)
        else:
            self._fixed = logtypes.by_key(key)
        self.sourcetype = sourcetype or (self._fixed.sourcetype if self._fixed else "")
        self.whole_body = None
        self._recording: Optional[_Recording] = None
        if self._fixed is not None and self._fixed.whole_object:
            self.whole_object, self.log_type, self.whole_body = True, self._fixed, body
        elif keep_whole and (self._fixed is None or self._fixed.decoder == "json"):
            self.body = self._recording = _Recording(body, WHOLE_OBJECT_MAX)

    def __iter__(self) -> Iterator[Tuple[str, str]]:
        if self.whole_object:
            return iter(())
        if self._content_hash is None:
            return self._events(read_records(self.body, self.bucket, self.key, self._fixed))
        return self._hashed_events(self._content_hash)

    def _hashed_events(self, content_hash) -> Iterator[Tuple[str, str]]:
        raw = _hashed(decompressed(iter_body(self.body), self.bucket, self.key), content_hash)
        yield from self._events(read_records(self.body, self.bucket, self.key, self._fixed, raw))
        for _ in raw:  # bytes after the last record (a closing bracket, a newline)
            pass
        self.meta["sha256"] = content_hash.hexdigest()

    def _events(self, records: Iterator) -> Iterator[Tuple[str, str]]:
        start, fallback, on_bad = self.start, self.fallback_time, self._on_bad
        reader = None
        position = 0
        records = iter(records)
        pushed: list = []
        for item in _pushback(records, pushed):
            if item.__class__ is BadRecord:
                if position >= start and on_bad is not None:
                    on_bad(position, item)  # type: ignore[arg-type]
                position += 1
                self.position = position
                continue
            if reader is None:
                lt = self._decide(item)
                if lt.whole_object:
                    # A whole object (a digest) is one JSON value: content that only looks like
                    # one at its first record but goes on is records, written as such (issue 19).
                    following = next(records, None)
                    if following is None:
                        self._whole_by_content()
                        return
                    pushed.append(following)
                    lt = self._decide_records(following)
                reader = lt.new_reader(**{name: self._options.get(name, "") for name in lt.options})
            stamp = reader(item)
            if stamp.__class__ is BadRecord:  # the reader refused the record (a CSV row's bad time)
                if position >= start and on_bad is not None:
                    on_bad(position, stamp)  # type: ignore[arg-type]
                position += 1
                self.position = position
                continue
            if stamp is NOT_EVENT or position < start:
                position += 1
                self.position = position
                continue
            if stamp is None:
                stamp = fallback
                self.untimed += 1
            position += 1
            self.position = position
            yield stamp, event_text(item)  # type: ignore[misc]

    def _decide(self, item) -> LogType:
        fixed = self._fixed
        if fixed is None:
            lt = logtypes.by_record(item)
        elif fixed.decoder == "json" and logtypes.TABLE["cloudtrail_digest"].recognise(item):
            lt = logtypes.TABLE["cloudtrail_digest"]  # a digest read as CloudTrail or JSON: no events
        else:
            lt = fixed
        self.log_type = lt
        self.sourcetype = self._sourcetype or lt.sourcetype
        if self._recording is not None and not lt.whole_object:
            self._recording.stop()  # records: nothing more is kept
        return lt

    def _decide_records(self, following) -> LogType:
        """The log type of an object whose first record looked like a whole object but was not."""
        lt = self._fixed if self._fixed is not None and not self._fixed.whole_object else None
        if lt is None and following.__class__ is not BadRecord:
            lt = logtypes.by_record(following)
        if lt is None or lt.whole_object:
            lt = logtypes.by_name("json")
        self.log_type = lt
        self.sourcetype = self._sourcetype or lt.sourcetype
        if self._recording is not None:
            self._recording.stop()
        return lt

    def _whole_by_content(self) -> None:
        self.whole_object = True
        recording = self._recording
        if recording is not None:
            if recording.overflow:
                raise ObjectError(self.bucket, self.key, "invalid_digest",
                                  f"larger than {WHOLE_OBJECT_MAX} bytes: not a {self.log_type.title} file")
            self.whole_body = recording.replay()


def _pushback(records: Iterator, pushed: list) -> Iterator:
    """``records``, with what was read ahead (``pushed``) given back first."""
    while True:
        if pushed:
            yield pushed.pop()
            continue
        item = next(records, None)
        if item is None:
            return
        yield item
