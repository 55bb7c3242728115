"""Amazon GuardDuty findings exported to Amazon S3 (sourcetype ``aws:cloudwatch:guardduty``).

Source: GuardDuty user guide, "Exporting generated findings to Amazon S3". Key:
``[prefix/]AWSLogs/<account>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz``. Gzipped
JSON Lines, one finding per line (the finding itself, not the EventBridge envelope the
Splunk Add-on for AWS receives through CloudWatch Events: its ``detail`` is this
object). A finding is exported again each time it is updated; the record's time is
``updatedAt``.
"""

from __future__ import annotations

import re
from typing import Optional

from ..timestamps import iso8601_to_text
from . import LogType, stateless

__all__ = ["LOG_TYPE", "KEY_PATTERN", "is_finding", "record_time"]

KEY_PATTERN = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/GuardDuty/")


def is_finding(value: object) -> bool:
    """Content recognition: a GuardDuty finding."""
    if not isinstance(value, dict) or "schemaVersion" not in value or "updatedAt" not in value:
        return False
    arn = value.get("arn")
    service = value.get("service")
    return (isinstance(arn, str) and arn.startswith("arn:aws") and ":guardduty:" in arn) or (
        isinstance(service, dict) and service.get("serviceName") == "guardduty"
    )


def record_time(value: object) -> Optional[str]:
    """``updatedAt`` (ISO 8601, milliseconds) as epoch text."""
    return iso8601_to_text(value.get("updatedAt")) if isinstance(value, dict) else None


LOG_TYPE = LogType(
    name="guardduty",
    sourcetype="aws:cloudwatch:guardduty",
    title="Amazon GuardDuty findings (exported to S3)",
    decoder="json",
    new_reader=stateless(lambda item: record_time(item.value)),
    key_pattern=KEY_PATTERN,
    recognise=lambda item: is_finding(item.value),
)
