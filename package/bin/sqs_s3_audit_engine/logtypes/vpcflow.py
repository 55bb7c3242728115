"""VPC flow logs delivered to Amazon S3 (sourcetype ``aws:cloudwatchlogs:vpcflow``).

Sources: AWS VPC user guide, "Flow log records", "Flow log record examples" and
"Publish flow logs to Amazon S3". Key:
``[prefix/]AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/[HH/]<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz``
(or the Hive-style ``aws-account-id=.../aws-service=vpcflowlogs/...``). Text files
start with a header line naming the fields of the flow log's format (default or
custom, versions 2-5 and later); the header is not an event. Records are space
separated; ``-`` marks a field with no value (``NODATA`` / ``SKIPDATA`` records). The
record's time is ``start`` (epoch seconds); a custom format without ``start`` gives
records no time of their own.
"""

from __future__ import annotations

import re
from typing import Optional, Sequence, Tuple

from ..decoders import Item
from ..timestamps import epoch_seconds_text
from . import NOT_EVENT, LogType

__all__ = [
    "LOG_TYPE",
    "DEFAULT_FIELDS",
    "KNOWN_FIELDS",
    "KEY_PATTERN",
    "FlowTime",
    "header_fields",
    "looks_like_vpcflow",
]

#: The default format (version 2).
DEFAULT_FIELDS: Tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
)
#: Field names of versions 2-5 (AWS "Available fields"), to recognise a header line.
KNOWN_FIELDS = frozenset(DEFAULT_FIELDS + (
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    "region", "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service",
    "pkt-dst-aws-service", "flow-direction", "traffic-path",
))
KEY_PATTERN = re.compile(r"(?:^|/)AWSLogs/(?:\d{12}/vpcflowlogs/|aws-account-id=\d{12}/aws-service=vpcflowlogs/)")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


def header_fields(line: str) -> Optional[Tuple[str, ...]]:
    """The field names of a header line, or None when the line is a record.

    A header is a line whose every token is a field name (lowercase, hyphenated) and
    at least one token is a field name AWS documents, so that a record of a custom
    format (``i-0123... eni-0abc...``) is never taken for one.
    """
    tokens = line.split()
    if not tokens or not any(t in KNOWN_FIELDS for t in tokens):
        return None
    return tuple(tokens) if all(_NAME.match(t) for t in tokens) else None


def looks_like_vpcflow(line: str) -> bool:
    """Content recognition: a flow log file's header line."""
    fields = header_fields(line)
    return bool(fields) and ("srcaddr" in fields or "interface-id" in fields) and "dstaddr" in fields


class FlowTime:
    """Reads ``start`` of each record of one file, following its header line."""

    __slots__ = ("_start",)

    def __init__(self, fields: Sequence[str] = DEFAULT_FIELDS) -> None:
        self.set_fields(fields)

    def set_fields(self, fields: Sequence[str]) -> None:
        fields = list(fields)
        self._start = fields.index("start") if "start" in fields else -1

    def __call__(self, line: str) -> Optional[str]:
        if self._start < 0:
            return None
        cols = line.split(None, self._start + 1)
        if len(cols) <= self._start:
            return None
        return epoch_seconds_text(cols[self._start])


def _recognise(item: Item) -> bool:
    return item.origin == "line" and looks_like_vpcflow(item.value)  # type: ignore[arg-type]


def _new_reader():
    """Per object: the header line (the first line, or any line that starts with a
    documented field name and holds only field names) sets the columns, no event."""
    times = FlowTime()
    first = [True]

    def read(item: Item) -> object:
        line = item.value
        if not isinstance(line, str):
            return None
        if first[0] or line[: line.find(" ")] in KNOWN_FIELDS:
            first[0] = False
            fields = header_fields(line)
            if fields:
                times.set_fields(fields)
                return NOT_EVENT
        return times(line)

    return read


LOG_TYPE = LogType(
    name="vpc_flow",
    sourcetype="aws:cloudwatchlogs:vpcflow",
    title="VPC flow logs (delivered to S3)",
    decoder="lines",
    new_reader=_new_reader,
    key_pattern=KEY_PATTERN,
    recognise=_recognise,
)
