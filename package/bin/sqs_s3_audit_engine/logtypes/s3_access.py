"""Amazon S3 server access logs (sourcetype ``aws:s3:accesslogs``).

Plain text, one record per line, time from the bracketed ``[06/Feb/2019:00:01:57 +0000]``.
"""

from __future__ import annotations

import re
from typing import Optional

from ..decoders import Item
from ..timestamps import access_log_time_to_text
from . import LogType, stateless

__all__ = ["LOG_TYPE", "LINE"]

#: bucket owner, bucket, [time]: the start of every S3 server access log line.
LINE = re.compile(r"^(?:[0-9a-f]{64}|-|\S+) \S+ \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] ")


def _recognise(item: Item) -> bool:
    return item.origin == "line" and LINE.match(item.value) is not None  # type: ignore[arg-type]


def _time(item: Item) -> Optional[str]:
    line = item.value
    if not isinstance(line, str):
        return None
    start = line.find("[")
    end = line.find("]", start + 1)
    if start < 0 or end < 0:
        return None
    return access_log_time_to_text(line[start + 1:end])


LOG_TYPE = LogType(
    name="s3_access",
    sourcetype="aws:s3:accesslogs",
    title="Amazon S3 server access logs",
    decoder="lines",
    new_reader=stateless(_time),
    recognise=_recognise,
)
