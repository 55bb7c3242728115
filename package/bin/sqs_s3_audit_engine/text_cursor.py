"""A cursor over decompressed text chunks with just enough look-ahead to parse one JSON
value or one line at a time, in bounded memory (used by :mod:`.decoders`).

Bounded whatever the text: a value that spans chunks is first delimited by a scan that
counts brackets and steps over strings (each chunk scanned once, then joined once), so
reading it is linear in its length, never re-parsed from its start after each chunk; a
value longer than the caller's limit, or holding more than :data:`MAX_VALUES` JSON values
(the parsed form of ``[{},{},...]`` takes some 25 times its text), is refused before it is
parsed (:class:`TooLarge`)."""

from __future__ import annotations

import json
import re
from typing import Iterable

__all__ = ["Cursor", "Invalid", "TooDeep", "TooLarge", "TOO_DEEP", "MAX_VALUES", "values_in"]

#: JSON values one parsed record may hold (about 20 MB parsed at worst: empty objects)
MAX_VALUES = 1 << 18

_raw_decode = json.JSONDecoder().raw_decode
#: Text kept ahead of the cursor before a value is parsed (a record of up to this many
#: characters is never cut by the buffer's end).
AHEAD = 64 << 10
_WS = re.compile(r"[ \t\n\r]*")
_STRUCTURE = re.compile(r'[\[{]+|[\]}]+|"')
_STRING_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)  # a string's text up to its closing quote


class Invalid(Exception):
    pass


class TooDeep(Exception):
    """A value nested deeper than the interpreter's JSON decoder recurses.

    Python's C scanner raises RecursionError at its recursion limit (about 1,000 levels
    on 3.9-3.11, about 10,000 on 3.13); the error unwinds the scanner cleanly and is
    caught right where the scanner is called, far from the limit, so the interpreter
    goes on as before. The cursor still stands at the start of the value.
    """


TOO_DEEP = "nested too deep to decode (Python's JSON decoder stops at its recursion limit)"


class TooLarge(Exception):
    """``consumed`` is True when the cursor already stands after the record."""

    def __init__(self, message: str, consumed: bool = False):
        super().__init__(message)
        self.consumed = consumed


class Cursor:
    """A cursor over text chunks with just enough look-ahead to parse one value."""

    __slots__ = ("_chunks", "buf", "pos", "eof", "_few_values")

    def __init__(self, chunks: Iterable[str]):
        self._chunks = iter(chunks)
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._few_values = None  # the buffer whose rest holds at most MAX_VALUES values, once counted

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = next(self._chunks, None)
        if chunk is None:
            self.eof = True
            return False
        if self.pos:
            self.buf = self.buf[self.pos:] + chunk
            self.pos = 0
        else:
            self.buf += chunk
        return True

    def skip_ws(self) -> bool:
        """Move past whitespace; False when nothing but whitespace is left."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return True
            if not self.fill():
                return False

    def peek(self) -> str:
        return self.buf[self.pos] if self.skip_ws() else ""

    def take(self, expected: str) -> str:
        char = self.peek()
        if not char or char not in expected:
            found = repr(char) if char else "end of file"
            raise Invalid(f"expected one of {expected!r} but found {found}")
        self.pos += 1
        return char

    def window(self, size: int) -> str:
        while len(self.buf) - self.pos < size and self.fill():
            pass
        return self.buf[self.pos:self.pos + size]

    def value(self, limit: int):
        """Parse the JSON value at the cursor: (value, exact source text).

        Raises:
            TooLarge: longer than ``limit`` characters or more than :data:`MAX_VALUES`
                values (``consumed`` False: the cursor still stands at its start).
        """
        if len(self.buf) - self.pos < AHEAD and not self.eof:
            # A record cut by the buffer's end is parsed twice, and the failed parse costs a
            # JSONDecodeError that counts the lines of the whole buffer: read on first.
            self.fill()
        while True:
            buf, pos = self.buf, self.pos
            if buf is not self._few_values:
                # Each value is at least one character: a short rest needs no count.
                if len(buf) - pos <= MAX_VALUES or values_in(buf, pos, len(buf)) <= MAX_VALUES:
                    self._few_values = buf  # no value in the rest of this buffer can hold too many
                else:
                    self._check_values(limit)  # delimits this value; refuses it when it holds too many
                    if self.buf is not buf:
                        continue  # more text was read: look again
            try:
                value, end = _raw_decode(buf, pos)
            except RecursionError:
                raise TooDeep(TOO_DEEP) from None
            except json.JSONDecodeError as exc:
                truncated = exc.msg.startswith("Unterminated string") or exc.pos >= len(buf) - 32
                if self.eof or not truncated:
                    raise Invalid(f"{exc.msg} at character {exc.pos - pos} of the record") from None
                if len(buf) - pos > limit:
                    raise TooLarge(f"record longer than {limit} characters") from None
                if buf[pos] in '{["':
                    if self._gather(limit) >= 0:  # the whole value is in the buffer now
                        continue
                    raise Invalid(f"{exc.msg} (the object ends inside a record)") from None
                if not self.fill():
                    raise Invalid(f"{exc.msg} (the object ends inside a record)") from None
                continue
            if end >= len(buf) and not self.eof and not isinstance(value, (dict, list, str)):
                # A number or literal at the very end of the buffer may continue.
                if self.fill():
                    continue
            if end - pos > limit:
                self.pos = end
                raise TooLarge(f"record of {end - pos} characters, more than {limit}", consumed=True)
            self.pos = end
            return value, buf[pos:end]

    def _check_values(self, limit: int) -> None:
        """The value at the cursor, delimited: TooLarge when it holds more than MAX_VALUES values."""
        end, _depth, _in_string, _resume = _scan(self.buf, self.pos, 0, False)
        if end < 0:
            if self.buf[self.pos] not in '{["':
                return
            end = self._gather(limit)
            if end < 0:
                return  # the object ends inside it: value() says so
        count = values_in(self.buf, self.pos, end)
        if count > MAX_VALUES:
            raise TooLarge(f"record of {count} JSON values or more, more than {MAX_VALUES}")

    def _gather(self, limit: int) -> int:
        """Read chunks until the buffer holds the whole value at the cursor (an object, array
        or string): each chunk scanned once, joined once. Returns the value's end in the
        buffer, or -1 when the text ends first.

        Raises:
            TooLarge: the value is longer than ``limit`` characters (the cursor at its start).
        """
        buf, pos = self.buf, self.pos
        end, depth, in_string, resume = _scan(buf, pos, 0, False)
        if end >= 0:
            return end
        parts = [buf[pos:]]
        size = len(parts[0])
        carry = buf[resume:]
        while end < 0:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.eof = True
                break
            text = carry + chunk
            end, depth, in_string, resume = _scan(text, 0, depth, in_string)
            if end >= 0:
                end += size - len(carry)
            carry = text[resume:] if end < 0 else ""
            parts.append(chunk)
            size += len(chunk)
            if end < 0 and size > limit:
                self.buf, self.pos = "".join(parts), 0
                raise TooLarge(f"record longer than {limit} characters")
        self.buf, self.pos = "".join(parts), 0
        return end

    def skip_value(self, limit: int) -> None:
        """Move past the value at the cursor without decoding it (after ``TooDeep``, or a
        value not wanted): an object, array or string; anything else is parsed (it is short).

        Runs of brackets are counted and strings stepped over, with no recursion; what is
        passed is dropped as it goes, so memory stays bounded.

        Raises:
            Invalid: the object ends inside the value.
            TooLarge: the value is longer than ``limit`` characters (the cursor is inside it).
        """
        if self.peek() not in '{["':
            self.value(1 << 16)
            return
        depth = 0
        in_string = False
        origin = self.pos  # where the value started, in the current buffer's indices
        while True:
            buf = self.buf
            if self.pos - origin > limit:
                raise TooLarge(f"record longer than {limit} characters")
            if in_string:
                end = _STRING_BODY.match(buf, self.pos).end()
                if end < len(buf) and buf[end] == '"':
                    self.pos, in_string = end + 1, False
                    if depth == 0:  # the value was this string
                        return
                    continue
                self.pos = end  # the string goes on in the next chunk (a trailing backslash is kept)
            else:
                match = _STRUCTURE.search(buf, self.pos)
                if match is not None:
                    run = match.group()
                    if run == '"':
                        in_string = True
                    elif run[0] in "[{":
                        depth += len(run)
                    elif len(run) >= depth:  # the value closes inside this run
                        self.pos = match.start() + depth
                        return
                    else:
                        depth -= len(run)
                    self.pos = match.end()
                    continue
                self.pos = len(buf)
            origin -= self.pos  # fill() drops what lies before the cursor
            if not self.fill():
                raise Invalid("the object ends inside a string" if in_string
                              else "the object ends inside a record nested too deep to decode")

    def skip_line(self) -> None:
        """Discard through the next newline without keeping what is skipped."""
        while True:
            nl = self.buf.find("\n", self.pos)
            if nl >= 0:
                self.pos = nl + 1
                return
            self.pos = len(self.buf)
            if not self.fill():
                return

    def line(self, limit: int):
        """The next line without its end, a TooLarge marker, or None at EOF."""
        while True:
            nl = self.buf.find("\n", self.pos)
            if nl >= 0:
                text = self.buf[self.pos:nl]
                self.pos = nl + 1
                if len(text) > limit:
                    return TooLarge(f"line longer than {limit} characters")
                return text[:-1] if text.endswith("\r") else text
            if len(self.buf) - self.pos > limit:
                self.skip_line()
                return TooLarge(f"line longer than {limit} characters")
            if not self.fill():
                if self.pos >= len(self.buf):
                    return None
                text = self.buf[self.pos:]
                self.pos = len(self.buf)
                return text[:-1] if text.endswith("\r") else text


def values_in(text: str, start: int, end: int) -> int:
    """An upper bound of the JSON values in ``text[start:end]`` (separators and containers)."""
    return text.count(",", start, end) + text.count("{", start, end) + text.count("[", start, end)


def _scan(text: str, i: int, depth: int, in_string: bool):
    """Where the value that started before ``i`` ends, from the state (depth, in_string)
    reached at ``i``: ``(end, depth, in_string, resume)``; ``end`` is -1 when ``text``
    ends first, and scanning goes on from ``text[resume:]`` followed by the next chunk (a
    string's trailing backslash is scanned again with what follows it)."""
    size = len(text)
    while True:
        if in_string:
            stop = _STRING_BODY.match(text, i).end()
            if stop < size and text[stop] == '"':
                i, in_string = stop + 1, False
                if depth == 0:
                    return i, 0, False, i
                continue
            return -1, depth, True, stop
        match = _STRUCTURE.search(text, i)
        if match is None:
            return -1, depth, False, size
        run = match.group()
        if run == '"':
            in_string = True
        elif run[0] in "[{":
            depth += len(run)
        elif len(run) >= depth:
            return match.start() + depth, 0, False, match.start() + depth
        else:
            depth -= len(run)
        i = match.end()
