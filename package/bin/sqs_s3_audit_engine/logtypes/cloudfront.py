"""Amazon CloudFront standard logs (sourcetype ``aws:cloudfront:accesslogs``).

Source: AWS CloudFront developer guide, "Standard logging (access logs)". Key:
``[prefix/]<distribution-ID>.YYYY-MM-DD-HH.<unique-ID>.gz``. W3C extended format:
``#Version:`` and ``#Fields:`` lines come first and are not events; ``#Fields:`` names
the tab-separated columns of the lines that follow. The record's time is the ``date``
and ``time`` columns (UTC). Values stay as CloudFront wrote them (URL-encoded user
agents, ``-`` for empty).
"""

from __future__ import annotations

import re
from typing import Optional, Sequence, Tuple

from ..decoders import Item
from ..timestamps import aws_log_time_to_text
from . import NOT_EVENT, LogType

__all__ = [
    "LOG_TYPE",
    "DEFAULT_FIELDS",
    "KEY_PATTERN",
    "CloudFrontTime",
    "header_fields",
    "is_directive",
    "looks_like_cloudfront",
]

#: The 33 columns of a standard log, in order, for a file read without its ``#Fields``.
DEFAULT_FIELDS: Tuple[str, ...] = tuple(
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
    "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header "
    "cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
    "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte "
    "x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end".split()
)
#: ``E2EXAMPLE.2019-12-04-21.a1b2c3d4.gz``: distribution id, UTC hour, unique id.
KEY_PATTERN = re.compile(r"(?:^|/)[A-Z0-9]{8,20}\.\d{4}-\d{2}-\d{2}-\d{2}\.[A-Za-z0-9]+(?:\.gz)?$")


def is_directive(line: str) -> bool:
    """A W3C directive line (``#Version``, ``#Fields``, any ``#`` line): not an event."""
    return line.startswith("#")


def header_fields(line: str) -> Optional[Tuple[str, ...]]:
    """The column names a ``#Fields:`` line defines, or None for any other line."""
    if not line.startswith("#Fields:"):
        return None
    return tuple(line[len("#Fields:"):].split())


def looks_like_cloudfront(line: str) -> bool:
    """Content recognition: the first line of a standard log file."""
    return line.startswith("#Version:") or (
        line.startswith("#Fields:") and "x-edge-location" in line
    )


class CloudFrontTime:
    """Reads the time of each line of one log file, following its ``#Fields`` line."""

    __slots__ = ("_date", "_time", "_need")

    def __init__(self, fields: Sequence[str] = DEFAULT_FIELDS) -> None:
        self.set_fields(fields)

    def set_fields(self, fields: Sequence[str]) -> None:
        try:
            self._date = list(fields).index("date")
            self._time = list(fields).index("time")
        except ValueError:
            self._date = self._time = -1
        self._need = max(self._date, self._time) + 1

    def __call__(self, line: str) -> Optional[str]:
        if self._need <= 0:
            return None
        cols = line.split("\t", self._need)
        if len(cols) < self._need:
            return None
        day, clock = cols[self._date], cols[self._time]
        if len(day) != 10 or len(clock) != 8:
            return None
        return aws_log_time_to_text(f"{day}T{clock}")


def _recognise(item: Item) -> bool:
    return item.origin == "line" and looks_like_cloudfront(item.value)  # type: ignore[arg-type]


def _new_reader():
    """Per object: directive lines set the columns and are no events."""
    times = CloudFrontTime()

    def read(item: Item) -> object:
        line = item.value
        if not isinstance(line, str):
            return None
        if line.startswith("#"):
            fields = header_fields(line)
            if fields:
                times.set_fields(fields)
            return NOT_EVENT
        return times(line)

    return read


LOG_TYPE = LogType(
    name="cloudfront_access",
    sourcetype="aws:cloudfront:accesslogs",
    title="Amazon CloudFront standard logs",
    decoder="lines",
    new_reader=_new_reader,
    key_pattern=KEY_PATTERN,
    recognise=_recognise,
)
