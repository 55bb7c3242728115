"""Stage 4: one object at position N -> its ``(time, data)`` events.

:class:`ObjectEvents` reads an object's body (stage 2, :mod:`.objects`), decodes it with
the decoder its log type names (:mod:`.decoders`), decides the log type (:mod:`.logtypes`)
and yields the events of every position from ``start`` on. Positions (records, bad records,
header lines) are counted identically on every read of the same object, which is what lets
the checkpoint resume mid-object. The collector, the doctor's object check, the bench and
the tests read objects through this one class.
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

__all__ = ["ObjectEvents", "read_records"]

_DECODERS = {"json": decode_json, "lines": decode_lines, "csv": decode_csv}


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
        whole_object: True when the object turned out to be no list of records (a
            CloudTrail digest file read by content): nothing was yielded.
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

    def __iter__(self) -> Iterator[Tuple[str, str]]:
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
        for item in records:
            if item.__class__ is BadRecord:
                if position >= start and on_bad is not None:
                    on_bad(position, item)  # type: ignore[arg-type]
                position += 1
                self.position = position
                continue
            if reader is None:
                lt = self._decide(item)
                if lt.whole_object:
                    self.whole_object = True
                    return
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
        return lt
