"""AWS CloudTrail log files (sourcetype ``aws:cloudtrail``).

Gzipped ``{"Records":[...]}``, one event per record, time from ``eventTime``. Insights
files (``CloudTrail-Insight/``) are CloudTrail events too. Records of ``eventVersion`` 1.0
(older trails, several AWS documentation examples) have no ``eventID`` or ``eventType``:
inside a ``Records`` array, or under a CloudTrail key, they are CloudTrail all the same.
"""

from __future__ import annotations

import re
from ..decoders import Item
from ..timestamps import iso8601_to_text
from . import LogType, field_time, stateless

__all__ = ["LOG_TYPE", "KEY"]

#: ``[prefix/]AWSLogs/[o-orgid/]<account>/CloudTrail[-Insight]/<region>/...``
KEY = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?\d{12}/CloudTrail(?:-Insight)?/")


def _recognise(item: Item) -> bool:
    value = item.value
    if not isinstance(value, dict) or "eventVersion" not in value:
        return False
    return item.origin == "Records" or "eventID" in value or "eventType" in value


LOG_TYPE = LogType(
    name="cloudtrail",
    sourcetype="aws:cloudtrail",
    title="AWS CloudTrail",
    decoder="json",
    new_reader=stateless(field_time("eventTime", iso8601_to_text)),
    key_pattern=KEY,
    recognise=_recognise,
)
