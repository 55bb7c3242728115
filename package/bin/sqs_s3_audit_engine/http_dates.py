"""Timestamps in AWS answers: the HTTP date parsed directly, everything else as botocore does.

botocore parses every timestamp of an answer with ``botocore.utils.parse_timestamp``, which
hands text to dateutil's general parser: about 90 µs for one date on the bench machine
(docs/performance.md, part 1b). Every GetObject answer carries one, its ``Last-Modified``
header (``LastModified``, https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html),
always in the HTTP date format (IMF-fixdate, ``Wed, 03 Dec 2026 23:00:00 GMT``:
https://www.rfc-editor.org/rfc/rfc7231#section-7.1.1.1), so for many small objects that one
parse is a measurable share of the input's own CPU. :func:`parse_timestamp` reads exactly
that format itself (a few µs) and gives any other text (epoch seconds, ISO 8601, another
date form) to botocore's parser unchanged; the result is the same aware UTC datetime.

:func:`install` sets it on a botocore session's response parsers (``ResponseParserFactory``
``set_parser_defaults(timestamp_parser=...)``, the hook botocore offers for this; the
parsers are made per answer from these defaults, so clients made before see it too).
"""

from __future__ import annotations

import re
from datetime import datetime

from botocore.utils import parse_timestamp as _botocore_parse
from dateutil.tz import tzutc

__all__ = ["parse_timestamp", "install"]

_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_HTTP_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT")
_UTC = tzutc()  # what botocore's own parser gives a GMT date


def parse_timestamp(value):
    """``value`` (text or a number) as an aware datetime, as ``botocore.utils.parse_timestamp``."""
    if value.__class__ is str:
        match = _HTTP_DATE.fullmatch(value)
        month = _MONTHS.get(match.group(2)) if match is not None else None
        if month is not None:
            day, _, year, hour, minute, second = match.groups()
            try:
                return datetime(int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=_UTC)
            except ValueError:
                pass  # a day or hour out of range: botocore's parser decides what it is
    return _botocore_parse(value)


def install(session) -> None:
    """Use :func:`parse_timestamp` for every answer parsed by clients of ``session`` (a boto3
    session, whose botocore session is its ``_session``, or a botocore session)."""
    core = getattr(session, "_session", session)
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
