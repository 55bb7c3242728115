"""Any other JSON (sourcetype ``sqs_s3_audit:json``): one object, an array, JSON Lines.

Time from the first of the usual time fields that holds a time.
"""

from __future__ import annotations

from typing import Optional

from ..decoders import Item
from ..timestamps import iso8601_to_text, number_to_text, unix_nano_to_text
from . import LogType, stateless

__all__ = ["LOG_TYPE", "TIME_KEYS"]

TIME_KEYS = ("eventTime", "occurred_at", "@timestamp", "timestamp", "time", "created_at", "date", "timeUnixNano")


def _recognise(item: Item) -> bool:
    return item.origin != "line"


def _time(item: Item) -> Optional[str]:
    value = item.value
    if not isinstance(value, dict):
        return None
    for key in TIME_KEYS:
        if key in value:
            found = value[key]
            text = iso8601_to_text(found) if isinstance(found, str) else number_to_text(found)
            if text is None and key == "timeUnixNano":
                text = unix_nano_to_text(found)
            if text:
                return text
    return None


LOG_TYPE = LogType(
    name="json",
    sourcetype="sqs_s3_audit:json",
    title="Other JSON",
    decoder="json",
    new_reader=stateless(_time),
    recognise=_recognise,
)
