"""AWS WAF logs delivered to Amazon S3 (sourcetype ``aws:waf``).

Sources: AWS WAF developer guide, "Log fields for web ACL traffic" and "Sending web ACL
traffic logs to an Amazon S3 bucket". Key:
``[prefix/]AWSLogs/<account>/WAFLogs/<region-or-cloudfront>/<web-acl-name>/YYYY/MM/dd/HH/mm/<account>_waflogs_<region>_<web-acl-name>_<timestamp>_<hash>.log.gz``.
Gzipped JSON Lines, one request per line; the record's time is ``timestamp`` (epoch
milliseconds).
"""

from __future__ import annotations

import re
from typing import Optional

from ..timestamps import number_to_text
from . import LogType, stateless

__all__ = ["LOG_TYPE", "KEY_PATTERN", "is_waf_record", "record_time"]

KEY_PATTERN = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/WAFLogs/")


def is_waf_record(value: object) -> bool:
    """Content recognition: a WAF log record."""
    return (
        isinstance(value, dict)
        and "webaclId" in value
        and isinstance(value.get("httpRequest"), dict)
        and "timestamp" in value
    )


def record_time(value: object) -> Optional[str]:
    """``timestamp`` (epoch milliseconds) as epoch text."""
    if not isinstance(value, dict):
        return None
    stamp = value.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int):
        return None
    return number_to_text(stamp)


LOG_TYPE = LogType(
    name="waf",
    sourcetype="aws:waf",
    title="AWS WAF logs",
    decoder="json",
    new_reader=stateless(lambda item: record_time(item.value)),
    key_pattern=KEY_PATTERN,
    recognise=lambda item: is_waf_record(item.value),
)
