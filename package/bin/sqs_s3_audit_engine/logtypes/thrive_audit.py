"""Thrive audit logs (sourcetype ``thrive:audit``): OpenTelemetry log records.

OTLP/JSON (``resourceLogs`` -> ``scopeLogs`` -> ``logRecords``, one event per log record,
resource and scope kept with it) or JSON Lines of flat log records; time from
``timeUnixNano`` (else ``observedTimeUnixNano``).
"""

from __future__ import annotations

from typing import Optional

from ..decoders import Item
from ..timestamps import unix_nano_to_text
from . import LogType, stateless

__all__ = ["LOG_TYPE"]


def _recognise(item: Item) -> bool:
    if item.origin == "resourceLogs":
        return True
    value = item.value
    return isinstance(value, dict) and (
        "timeUnixNano" in value or "observedTimeUnixNano" in value or ("severityText" in value and "body" in value)
    )


def _time(item: Item) -> Optional[str]:
    value = item.value
    if not isinstance(value, dict):
        return None
    return unix_nano_to_text(value.get("timeUnixNano")) or unix_nano_to_text(value.get("observedTimeUnixNano"))


LOG_TYPE = LogType(
    name="thrive_audit",
    sourcetype="thrive:audit",
    title="Thrive audit",
    decoder="json",
    new_reader=stateless(_time),
    recognise=_recognise,
)
