"""Elastic Load Balancing access logs (sourcetype ``aws:elb:accesslogs``).

Sources: AWS "Access logs for your Application Load Balancer", "... Network Load
Balancer" and "... Classic Load Balancer". Keys:
``[prefix/]AWSLogs/<account>/elasticloadbalancing/<region>/YYYY/MM/DD/<account>_elasticloadbalancing_<region>_<lb-id>_<end-time>_<ip>_<random>.log[.gz]``
(Classic: not gzipped). One request (or connection) per line, space separated, some
fields double-quoted; one object can hold lines of several formats:

- Application Load Balancer: ``<type> <time> <elb> ...`` with type ``http``, ``https``,
  ``h2``, ``grpcs``, ``ws`` or ``wss``; the time is when the response was sent;
- Network Load Balancer (TLS listeners): ``tls <version> <time> <elb> ...``;
- Classic Load Balancer: ``<time> <elb> <client:port> ...``.

The record's time is the line's own timestamp. Timings of ``-1`` (no target) and
``-`` fields are kept as written; the fields are extracted at search time
(``transforms.conf``).
"""

from __future__ import annotations

import re
from typing import Optional

from ..decoders import Item
from ..timestamps import aws_log_time_to_text
from . import LogType, stateless

__all__ = ["LOG_TYPE", "ALB_TYPES", "KEY_PATTERN", "line_format", "line_time", "looks_like_elb"]

#: Request types an Application Load Balancer writes first on a line.
ALB_TYPES = frozenset(("http", "https", "h2", "grpcs", "ws", "wss"))
#: The key layout of ELB access logs (all three load balancer kinds).
KEY_PATTERN = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/elasticloadbalancing/")


def _is_iso(token: str) -> bool:
    return len(token) >= 19 and token[4] == "-" and token[10] == "T" and token[:4].isdigit()


def line_format(line: str) -> Optional[str]:
    """``"alb"``, ``"nlb"``, ``"classic"`` or None for a line of another log."""
    head = line.split(" ", 4)
    if len(head) < 4:
        return None
    first = head[0]
    if first in ALB_TYPES:
        return "alb" if _is_iso(head[1]) and "/" in head[2] else None
    if first == "tls":
        return "nlb" if _is_iso(head[2]) and head[3].startswith("net/") else None
    if _is_iso(first) and ":" in head[2] and head[2].rsplit(":", 1)[-1].isdigit():
        return "classic"
    return None


def looks_like_elb(line: str) -> bool:
    """Whether a text line is an ELB access log line (content recognition)."""
    return line_format(line) is not None


def line_time(line: str) -> Optional[str]:
    """The line's timestamp as epoch text; None when the line has none."""
    head = line.split(" ", 3)
    first = head[0]
    if first in ALB_TYPES:
        stamp = head[1] if len(head) > 1 else ""
    elif first == "tls":
        stamp = head[2] if len(head) > 2 else ""
    else:
        stamp = first
    return aws_log_time_to_text(stamp) if _is_iso(stamp) else None


def _recognise(item: Item) -> bool:
    return item.origin == "line" and looks_like_elb(item.value)  # type: ignore[arg-type]


def _time(item: Item) -> Optional[str]:
    return line_time(item.value) if isinstance(item.value, str) else None


LOG_TYPE = LogType(
    name="elb_access",
    sourcetype="aws:elb:accesslogs",
    title="Elastic Load Balancing access logs (ALB, NLB, Classic)",
    decoder="lines",
    new_reader=stateless(_time),
    key_pattern=KEY_PATTERN,
    recognise=_recognise,
)
