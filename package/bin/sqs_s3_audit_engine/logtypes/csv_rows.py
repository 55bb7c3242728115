"""CSV with a header row (sourcetype ``sqs_s3_audit:csv``), chosen by ``log_type = csv`` or
a ``log_type_rules`` rule; never recognised by content.

Format: RFC 4180, section 2 (https://www.rfc-editor.org/rfc/rfc4180#section-2): records
separated by line breaks (CRLF, or LF as most writers use), fields by commas; a field
may be enclosed in double quotes, and then holds commas, line breaks and doubled double
quotes (``""`` is one ``"``). The first record is the header naming the columns. Also
read: a UTF-8 byte order mark (dropped), and a header line repeated later in the object
(files joined with ``cat``, each bringing its own header, BOM included): skipped.

Positions (what the checkpoint counts): the header, each repeated header and each row
is one position; empty lines (and lines of blanks, unless the header names one column)
are none. Each row is an event whose data is the compact
JSON object ``{column: value}`` in the header's order. Column names: an empty name
becomes ``column_<n>`` (1-based), a name seen before gets ``_<occurrence>``
(``id``, ``id_2``), so no value is lost.

Bad records (named, skipped, the rest written): a row with more or fewer fields than
the header has columns (``csv_column_count``), a row the CSV reader refuses
(``invalid_csv``), a row longer than :data:`~..decoders.MAX_RECORD_CHARS`
(``record_too_large``), and with ``csv_time_field`` a row whose time column holds no
time (``bad_time``). After a refused row the reader skips to the first line end where
the row's double quotes are balanced, as RFC 4180 defines the end of a record.

Time: with ``csv_time_field``, the named column: ISO 8601 (``2024-03-01T12:00:00Z``,
offsets, a space for ``T``, a date alone as its midnight UTC) or epoch seconds or milliseconds (``1709294400``,
``1709294400123``, fractions allowed). An empty value there, a header without that
column, or no ``csv_time_field``: the object's LastModified.

Memory: the object is read as a stream of lines (:class:`_Lines`), never whole; one
row is at most :data:`~..decoders.MAX_RECORD_CHARS` characters.
"""

from __future__ import annotations

import csv
import re
from typing import Iterable, Iterator, List, Optional, Tuple

from ..decoders import MAX_RECORD_CHARS, BadRecord, Item
from ..timestamps import iso8601_to_text, number_to_text
from . import NOT_EVENT, LogType

__all__ = ["LOG_TYPE", "HEADER", "ROW", "decode_csv", "column_names", "csv_time"]

#: ``Item.origin`` of the header (and of a repeated header): no event.
HEADER = "csv_header"
#: ``Item.origin`` of a row: ``value`` is the ``{column: value}`` dict.
ROW = "csv"
_BOM = "\ufeff"
_EPOCH = re.compile(r"^\d{1,19}(?:\.\d{1,9})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The csv module refuses a field longer than 128 KiB by default; a row may be as long as
# any other record. Process-wide, and nothing else in the input reads CSV.
if csv.field_size_limit() < MAX_RECORD_CHARS:
    csv.field_size_limit(MAX_RECORD_CHARS)


class _TooLarge(Exception):
    pass


class _Lines:
    """Text chunks -> lines with their line ends, as :func:`csv.reader` wants them.

    Counts the lines handed out (for naming a row by its line) and, since the current
    row began, its characters (to bound a row) and its double quotes (to find the row's
    end again after a refused row).
    """

    __slots__ = ("_chunks", "_buf", "_pos", "_eof", "line_no", "row_chars", "row_quotes", "limit")

    def __init__(self, chunks: Iterable[str], limit: int = MAX_RECORD_CHARS):
        self._chunks = iter(chunks)
        self._buf = ""
        self._pos = 0
        self._eof = False
        self.line_no = 0
        self.row_chars = 0
        self.row_quotes = 0
        self.limit = limit

    def row_start(self) -> None:
        self.row_chars = 0
        self.row_quotes = 0

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = next(self._chunks, None)
        if chunk is None:
            self._eof = True
            return False
        self._buf = self._buf[self._pos:] + chunk
        self._pos = 0
        return True

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        while True:
            nl = self._buf.find("\n", self._pos)
            if nl >= 0:
                return self._take(nl + 1)
            if self.row_chars + len(self._buf) - self._pos > self.limit:
                raise _TooLarge(f"row longer than {self.limit} characters")
            if not self._fill():
                if self._pos >= len(self._buf):
                    raise StopIteration
                return self._take(len(self._buf))

    def _take(self, end: int) -> str:
        line = self._buf[self._pos:end]
        self._pos = end
        self.line_no += 1
        self.row_chars += len(line)
        self.row_quotes += line.count('"')
        if self.row_chars > self.limit:
            raise _TooLarge(f"row longer than {self.limit} characters")
        return line

    def skip_row(self) -> None:
        """Drop what is left of the current row: through the first line end at which
        its double quotes are balanced (RFC 4180's record end), without keeping it."""
        while True:
            nl = self._buf.find("\n", self._pos)
            end = nl + 1 if nl >= 0 else len(self._buf)
            self.row_quotes += self._buf.count('"', self._pos, end)
            self._pos = end
            if nl >= 0:
                self.line_no += 1
                if self.row_quotes % 2 == 0:
                    return
            elif not self._fill():
                return


def column_names(header: List[str]) -> Tuple[str, ...]:
    """The event's keys: empty names become ``column_<n>``, repeats get ``_<occurrence>``."""
    seen: dict = {}
    names = []
    for number, name in enumerate(header, start=1):
        name = name or f"column_{number}"
        count = seen.get(name, 0) + 1
        seen[name] = count
        names.append(name if count == 1 else f"{name}_{count}")
    return tuple(names)


def decode_csv(chunks: Iterable[str], _bucket: str = "", _key: str = "", _reader=None) -> Iterator:
    """The positions of a CSV object: the header, then rows (see the module docstring).

    ``_bucket``, ``_key``, ``_reader``: unused (a bad row never stops the object); there for
    the decoders' shared signature.
    """
    lines = _Lines(chunks)
    rows = csv.reader(lines, strict=False)
    header: Optional[List[str]] = None
    names: Tuple[str, ...] = ()
    while True:
        lines.row_start()
        first_line = lines.line_no + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except _TooLarge as exc:
            lines.skip_row()
            yield BadRecord("record_too_large", f"line {first_line}: {exc}")
            continue
        except csv.Error as exc:
            if lines.row_quotes % 2:
                lines.skip_row()
            yield BadRecord("invalid_csv", f"line {first_line}: {exc}")
            continue
        if not row or (len(row) == 1 and len(names) != 1 and not row[0].strip()):
            continue  # an empty line, or one of blanks where several columns are expected
        if header is None:
            header = row
            names = column_names(row)
            yield Item(names, None, HEADER)
            continue
        if row == header or (row[0].startswith(_BOM) and [row[0][1:]] + row[1:] == header):
            yield Item(names, None, HEADER)  # the header again: files joined into one
            continue
        if len(row) != len(names):
            yield BadRecord("csv_column_count", f"line {first_line}: {len(row)} fields where the header "
                                                f"names {len(names)} columns")
            continue
        yield Item(dict(zip(names, row)), None, ROW)


def csv_time(value: str) -> Optional[str]:
    """A time column's value -> epoch text: ISO 8601, or epoch seconds or milliseconds."""
    value = value.strip()
    if _EPOCH.match(value):
        return number_to_text(float(value) if "." in value else int(value))
    if _DATE.match(value):  # a calendar date alone: its midnight, UTC
        value += "T00:00:00Z"
    return iso8601_to_text(value)


def _new_reader(csv_time_field: str = ""):
    field = csv_time_field

    def read(item: Item) -> object:
        if item.origin == HEADER:
            return NOT_EVENT
        if not field:
            return None
        value = item.value.get(field)  # type: ignore[union-attr]
        if not value:
            return None  # no such column, or no time in this row: LastModified
        stamp = csv_time(value)
        if stamp is None:
            return BadRecord("bad_time", f"{field}={value[:64]!r} is neither ISO 8601 nor epoch seconds or "
                                         "milliseconds")
        return stamp

    return read


LOG_TYPE = LogType(
    name="csv",
    sourcetype="sqs_s3_audit:csv",
    title="CSV with a header row",
    decoder="csv",
    new_reader=_new_reader,
    options=("csv_time_field",),
)
