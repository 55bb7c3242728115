"""Decompressed text -> records, streamed in bounded memory.

Shapes read (the sample files under tests/fixtures/samples/, each naming its AWS or vendor
source in tests/fixtures/samples/README-aws-logs.md):

- a top-level object holding the records in an array under ``Records`` (CloudTrail),
  ``results`` (API-style wrappers), ``resourceLogs`` (OpenTelemetry OTLP/JSON) or
  ``configurationItems`` (AWS Config history and snapshot files); the
  array is walked element by element, so a 500 MB CloudTrail file never sits in memory;
- JSON Lines and concatenated JSON values, one record each;
- a top-level JSON array, one record per element;
- text lines (S3 server access logs, anything else).

Every yielded item is one *position*: a record (:class:`Item`) or a record that could
not be used (:class:`BadRecord`). Positions are counted identically on every read of
the same object, which is what lets the checkpoint resume mid-object.

A JSON record keeps its exact source text (``raw``) when that text is already compact,
so it needs no re-serialisation; :func:`event_text` decides.
"""

from __future__ import annotations

import json
import re
from typing import Iterable, Iterator, NamedTuple, Optional, Union

from .errors import ObjectError
from .text_cursor import MAX_VALUES, values_in
from .text_cursor import Cursor as _Reader
from .text_cursor import Invalid as _Invalid
from .text_cursor import TooDeep as _TooDeep
from .text_cursor import TooLarge as _TooLarge

__all__ = [
    "Item",
    "BadRecord",
    "MAX_RECORD_CHARS",
    "decode_json",
    "decode_lines",
    "decode_auto",
    "event_text",
]

#: A record larger than this is reported (``record_too_large``) and skipped. Splunk's
#: own TRUNCATE for CloudTrail is 8 MiB.
MAX_RECORD_CHARS = 8 << 20
#: An OTLP ``resourceLogs`` element holds many log records; it is read whole, up to this
#: size (beyond: a ``record_too_large`` bad record, skipped without being parsed).
MAX_OTLP_RESOURCE_CHARS = 8 << 20
#: The members of a top-level object other than its record array are kept only until the
#: array starts (an object without one is a record itself): at most this many characters
#: and :data:`.text_cursor.MAX_VALUES` values together; after the array they are skipped
#: without being parsed.
MAX_OTHER_MEMBERS_CHARS = MAX_RECORD_CHARS
#: Nothing is ever skipped for being too long (skipping keeps no text).
_NO_LIMIT = 1 << 62
#: Keys whose array value holds the records.
STREAM_KEYS = ("Records", "results", "resourceLogs", "configurationItems")
_STREAM_KEY_AHEAD = re.compile(r'"(Records|results|resourceLogs|configurationItems)"\s*:\s*\[')
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


class Item(NamedTuple):
    """One record: the parsed value, its exact source text (or None), where it came from.

    ``origin`` is the stream key (``Records``, ``results``, ``resourceLogs``), ``"line"``
    for a text line (``value`` is then the line), or ``""`` for a bare JSON value.
    """

    value: object
    raw: Optional[str]
    origin: str


class BadRecord(NamedTuple):
    """A position that holds no usable record; logged, counted, skipped."""

    reason: str
    detail: str


Decoded = Union[Item, BadRecord]


def event_text(item: Item) -> str:
    """The event's ``data``: compact JSON that parses back to the record, or the line.

    Characters XML cannot carry are the event writer's business (one rule, one place),
    except the two noncharacters a JSON string can hold, JSON-escaped here so the record
    parses back exactly."""
    raw = item.raw
    # JSON never holds a raw newline, tab or CR inside a string, so any of them means
    # pretty-printing; '": ' is how every other common writer (Python's default) spaces.
    # A false alarm only costs a re-serialisation, never exactness. '": ' is looked for
    # only between the first and the last space (memchr-fast to find; in a compact record
    # the spaces sit in a few values, so most of the record is never searched).
    if raw is not None and "\n" not in raw and "\t" not in raw and "\r" not in raw and (
        (first := raw.find(" ")) < 0 or raw.find('": ', first - 2 if first > 1 else 0, raw.rfind(" ") + 1) < 0
    ):
        text = raw
    elif item.origin == "line":
        return item.value  # type: ignore[return-value]
    else:
        text = _dumps(item.value)
    # U+FFFE/U+FFFF can only be inside a JSON string: as JSON escapes the record stays
    # exact (the writer would have to replace them). Answered without scanning on an
    # ASCII or Latin-1 string.
    if "\ufffe" in text or "\uffff" in text:
        text = text.replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")
    return text


def decode_lines(
    chunks: Iterable[str], _bucket: str = "", _key: str = "", reader: Optional[_Reader] = None
) -> Iterator[Decoded]:
    """One item per non-empty text line.

    ``_bucket``, ``_key``: unused (lines never raise ``ObjectError``); there for the
    decoders' shared ``(chunks, bucket, key)`` signature.
    """
    reader = reader or _Reader(chunks)
    while True:
        line = reader.line(MAX_RECORD_CHARS)
        if line is None:
            return
        if isinstance(line, _TooLarge):
            yield BadRecord("record_too_large", str(line))
            continue
        if line.strip():
            yield Item(line, line, "line")


def decode_json(
    chunks: Iterable[str], bucket: str = "", key: str = "", reader: Optional[_Reader] = None, *, first: bool = True
) -> Iterator[Decoded]:
    """Records of a JSON object: see the module docstring for the shapes.

    A record nested too deep to decode is a ``too_deep`` bad record (JSON Lines and
    concatenated values: skipped to the end of its line; array elements: skipped by
    counting brackets), unless it is the whole object. ``first`` False: the caller
    already read a position of this object.

    Raises:
        ObjectError: ``invalid_json`` when the structure breaks where no record boundary
            can be found again (inside a streamed array), ``record_too_large`` likewise;
            ``too_deep`` when the object is one value nested too deep to decode.
    """
    reader = reader or _Reader(chunks)
    try:
        while reader.skip_ws():
            char = reader.buf[reader.pos]
            if char == "[":
                reader.pos += 1
                first = False
                yield from _array(reader, "", MAX_RECORD_CHARS)
                continue
            if char == "{" and _STREAM_KEY_AHEAD.search(_first_line(reader.window(2048))):
                first = False
                yield from _walk_object(reader)
                continue
            try:
                value, raw = reader.value(MAX_RECORD_CHARS)
            except _Invalid as exc:
                yield BadRecord("invalid_json", str(exc))
                reader.skip_line()
                continue
            except _TooLarge as exc:
                yield BadRecord("record_too_large", str(exc))
                if not exc.consumed:
                    reader.skip_line()
                continue
            except _TooDeep as exc:
                reader.skip_line()
                if first and not reader.skip_ws():
                    raise
                yield BadRecord("too_deep", str(exc))
                continue
            finally:
                first = False  # whatever the outcome, this was a position of the object
            yield Item(value, raw, "")
    except _Invalid as exc:
        raise ObjectError(bucket, key, "invalid_json", str(exc)) from None
    except _TooDeep as exc:
        raise ObjectError(bucket, key, "too_deep", str(exc)) from None
    except _TooLarge as exc:
        raise ObjectError(bucket, key, "record_too_large", str(exc)) from None


def decode_auto(chunks: Iterable[str], bucket: str = "", key: str = "") -> Iterator[Decoded]:
    """JSON when the content starts like JSON and its first value parses; else lines."""
    reader = _Reader(chunks)
    first = reader.peek()
    if first in ("{", "["):
        # Drop leading whitespace so that a failed first parse can rewind to 0.
        reader.buf, reader.pos = reader.buf[reader.pos:], 0
        start = 0
        window = reader.window(2048)
        if first == "[" and not _ARRAY_START.match(window):
            yield from decode_lines((), bucket, key, reader)  # "[2024-01-01 ...] text"
            return
        if first == "[" or (first == "{" and _STREAM_KEY_AHEAD.search(_first_line(window))):
            yield from decode_json((), bucket, key, reader)
            return
        try:
            value, raw = reader.value(MAX_RECORD_CHARS)
        except _Invalid:
            reader.pos = start
            yield from decode_lines((), bucket, key, reader)
            return
        except _TooLarge as exc:  # JSON all the same: report the record, keep decoding JSON
            yield BadRecord("record_too_large", str(exc))
            if not exc.consumed:
                reader.skip_line()
            yield from decode_json((), bucket, key, reader, first=False)
            return
        except _TooDeep as exc:  # JSON too: the whole object, or one bad line of JSON Lines
            reader.skip_line()
            if not reader.skip_ws():
                raise ObjectError(bucket, key, "too_deep", str(exc)) from None
            yield BadRecord("too_deep", str(exc))
            yield from decode_json((), bucket, key, reader, first=False)
            return
        yield Item(value, raw, "")
        yield from decode_json((), bucket, key, reader, first=False)
        return
    yield from decode_lines((), bucket, key, reader)


def _first_line(window: str) -> str:
    """Where to look for a record-array key: the first line of JSON Lines, or the
    whole window of a pretty-printed document (whose first line is a lone ``{``)."""
    nl = window.find("\n", 1)
    if nl < 0 or not window[:nl].strip(" \t\r{"):
        return window
    return window[:nl]


_ARRAY_START = re.compile(r'\[\s*[\[{"\]]')


def _array(reader: _Reader, origin: str, limit: int) -> Iterator[Decoded]:
    """Elements of the array whose ``[`` was just consumed."""
    if reader.peek() == "]":
        reader.pos += 1
        return
    otlp = origin == "resourceLogs"
    while True:
        buf, pos = reader.buf, reader.pos
        if pos >= len(buf) or buf[pos] in " \t\r\n":
            if not reader.skip_ws():
                raise _Invalid("the object ends inside an array (file cut short?)")
        try:
            value, raw = reader.value(limit)
        except _TooDeep as exc:  # skipped by counting brackets: the walk resumes after it
            reader.skip_value(limit)
            yield BadRecord("too_deep", str(exc))
        except _TooLarge as exc:  # likewise, whatever its length: nothing of it is kept
            if not exc.consumed:
                reader.skip_value(_NO_LIMIT)
            yield BadRecord("record_too_large", str(exc))
        else:
            if otlp:
                yield from _otlp_records(value)
            else:
                yield Item(value, raw, origin)
        buf, pos = reader.buf, reader.pos
        if pos < len(buf) and buf[pos] == ",":  # compact files: the common case
            reader.pos = pos + 1
            continue
        if reader.take(",]") == "]":
            return


def _walk_object(reader: _Reader) -> Iterator[Decoded]:
    """A top-level object: stream its record array; its other members are kept (bounded)
    only while no record array has started, and skipped unparsed after one has."""
    reader.take("{")
    others: dict = {}
    kept_chars = kept_values = 0
    streamed = overflow = False
    if reader.peek() == "}":
        reader.pos += 1
    else:
        while True:
            reader.skip_ws()
            name, _ = reader.value(1 << 16)
            if not isinstance(name, str):
                raise _Invalid("object member name is not a string")
            reader.take(":")
            if name in STREAM_KEYS and reader.peek() == "[":
                reader.pos += 1
                streamed = True
                others.clear()
                limit = MAX_OTLP_RESOURCE_CHARS if name == "resourceLogs" else MAX_RECORD_CHARS
                yield from _array(reader, name, limit)
            elif streamed or overflow:
                reader.skip_ws()
                reader.skip_value(_NO_LIMIT)
            else:
                reader.skip_ws()
                try:
                    value, raw = reader.value(MAX_RECORD_CHARS)
                except _TooLarge as exc:  # too long or too many values for one record: not kept
                    if not exc.consumed:
                        reader.skip_value(_NO_LIMIT)
                    overflow = True
                    others.clear()
                else:
                    kept_chars += len(raw) + len(name)
                    kept_values += values_in(raw, 0, len(raw)) + 1
                    if kept_chars > MAX_OTHER_MEMBERS_CHARS or kept_values > MAX_VALUES:
                        overflow = True
                        others.clear()
                    else:
                        others[name] = value
            if reader.take(",}") == "}":
                break
    if overflow and not streamed:
        raise _TooLarge(f"an object without a record array, longer than {MAX_OTHER_MEMBERS_CHARS} characters "
                        f"or {MAX_VALUES} values", consumed=True)
    if not streamed:
        yield Item(others, None, "")


def _otlp_records(resource_logs: object) -> Iterator[Decoded]:
    """OTLP ``resourceLogs`` element -> its log records, each with resource and scope."""
    if not isinstance(resource_logs, dict):
        yield BadRecord("invalid_otlp", "a resourceLogs element is not an object")
        return
    resource = resource_logs.get("resource")
    scope_logs = resource_logs.get("scopeLogs")
    if scope_logs is None:
        scope_logs = resource_logs.get("instrumentationLibraryLogs") or []
    for scope_log in scope_logs if isinstance(scope_logs, list) else []:
        if not isinstance(scope_log, dict):
            yield BadRecord("invalid_otlp", "a scopeLogs element is not an object")
            continue
        scope = scope_log.get("scope", scope_log.get("instrumentationLibrary"))
        for log_record in scope_log.get("logRecords") or []:
            if not isinstance(log_record, dict):
                yield BadRecord("invalid_otlp", "a logRecords element is not an object")
                continue
            record = dict(log_record)
            if resource is not None and "resource" not in record:
                record["resource"] = resource
            if scope is not None and "scope" not in record:
                record["scope"] = scope
            yield Item(record, None, "resourceLogs")
