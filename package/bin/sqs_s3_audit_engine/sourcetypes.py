"""Which sourcetype a record gets, and its timestamp.

With ``log_type = auto`` the first record of an object decides for the whole object,
from its content (and where it sat: a CloudTrail ``Records`` array, an OTLP
``resourceLogs`` tree, a text line). An explicit ``log_type`` wins; a sourcetype set on
the input overrides the name written but not the decoding or the timestamp.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Optional

from .decoders import Item
from .timestamps import access_log_time_to_text, iso8601_to_text, number_to_text, unix_nano_to_text

__all__ = ["SOURCETYPES", "classify", "is_cloudtrail_digest", "time_reader", "ACCESS_LOG_LINE"]

SOURCETYPES: Dict[str, str] = {
    "cloudtrail": "aws:cloudtrail",
    "iru_activity": "iru:endpoint:activity",
    "thrive_audit": "thrive:audit",
    "s3_access": "aws:s3:accesslogs",
    "json": "sqs_s3_audit:json",
    "text": "sqs_s3_audit:text",
}

#: bucket owner, bucket, [time]: the start of every S3 server access log line.
ACCESS_LOG_LINE = re.compile(r"^(?:[0-9a-f]{64}|-|\S+) \S+ \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] ")

_GENERIC_TIME_KEYS = ("eventTime", "occurred_at", "@timestamp", "timestamp", "time", "created_at", "date", "timeUnixNano")


def is_cloudtrail_digest(value: object) -> bool:
    """A CloudTrail digest file's body: an integrity proof, not events."""
    return isinstance(value, dict) and "digestStartTime" in value and "digestEndTime" in value


def classify(item: Item) -> str:
    """The log type of an object from its first record."""
    if item.origin == "line":
        return "s3_access" if ACCESS_LOG_LINE.match(item.value) else "text"  # type: ignore[arg-type]
    if item.origin == "resourceLogs":
        return "thrive_audit"
    value = item.value
    if not isinstance(value, dict):
        return "json"
    if "eventVersion" in value and ("eventID" in value or "eventType" in value):
        return "cloudtrail"
    if "occurred_at" in value and ("actor_type" in value or "target_type" in value or "actor_id" in value):
        return "iru_activity"
    if "timeUnixNano" in value or "observedTimeUnixNano" in value or ("severityText" in value and "body" in value):
        return "thrive_audit"
    return "json"


def _dict_time(key: str, parse: Callable[[object], Optional[str]]) -> Callable[[Item], Optional[str]]:
    def read(item: Item) -> Optional[str]:
        value = item.value
        return parse(value.get(key)) if isinstance(value, dict) else None

    return read


def _otel_time(item: Item) -> Optional[str]:
    value = item.value
    if not isinstance(value, dict):
        return None
    return unix_nano_to_text(value.get("timeUnixNano")) or unix_nano_to_text(value.get("observedTimeUnixNano"))


def _access_log_time(item: Item) -> Optional[str]:
    line = item.value
    start = line.find("[")  # type: ignore[union-attr]
    end = line.find("]", start + 1)  # type: ignore[union-attr]
    if start < 0 or end < 0:
        return None
    return access_log_time_to_text(line[start + 1:end])  # type: ignore[index]


def _generic_time(item: Item) -> Optional[str]:
    value = item.value
    if not isinstance(value, dict):
        return None
    for key in _GENERIC_TIME_KEYS:
        if key in value:
            found = value[key]
            text = iso8601_to_text(found) if isinstance(found, str) else number_to_text(found)
            if text is None and key == "timeUnixNano":
                text = unix_nano_to_text(found)
            if text:
                return text
    return None


def _no_time(item: Item) -> Optional[str]:
    return None


_TIME_READERS: Dict[str, Callable[[Item], Optional[str]]] = {
    "cloudtrail": _dict_time("eventTime", iso8601_to_text),
    "iru_activity": _dict_time("occurred_at", iso8601_to_text),
    "thrive_audit": _otel_time,
    "s3_access": _access_log_time,
    "json": _generic_time,
    "text": _no_time,
}


def time_reader(log_type: str) -> Callable[[Item], Optional[str]]:
    """The function that reads a record's own timestamp as epoch text (or None)."""
    return _TIME_READERS[log_type]
