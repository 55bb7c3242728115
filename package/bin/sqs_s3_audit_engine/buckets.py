"""``allowed_buckets``: which buckets an input may read, whatever a notification says.

A notification is written by whoever can send to the queue (or publish to its SNS topic):
the bucket it names is the sender's choice. With ``allowed_buckets`` set, a notification
naming any other bucket is refused before anything is read (see
:func:`.notifications.parse_notification`, the one place every notification shape goes
through).

Patterns are bucket names with ``*`` standing for any run of characters (``logs-*``,
``*-cloudtrail``); matching is a plain wildcard match, linear in the name (no regex, so no
pattern can make it slow). Empty: any bucket.
"""

from __future__ import annotations

import re
from typing import Sequence, Tuple

from .errors import ConfigError

__all__ = ["parse_allowed_buckets", "bucket_allowed", "describe"]

# S3 bucket names (legacy us-east-1 names included: upper case and underscores), with * wildcards.
_PATTERN = re.compile(r"^[A-Za-z0-9._*-]{1,255}$")


def parse_allowed_buckets(raw: str, name: str = "allowed_buckets") -> Tuple[str, ...]:
    """Comma-separated patterns -> a tuple (empty: any bucket).

    Raises:
        ConfigError: naming ``allowed_buckets`` for an entry that is no bucket name pattern.
    """
    patterns = []
    for entry in (raw or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        if not _PATTERN.match(entry) or entry.strip("*.-") == "" and entry != "*":
            raise ConfigError(name, f"{entry!r} is not a bucket name (letters, digits, '.', '-', '_', with '*' "
                                    "for any run of characters), e.g. my-cloudtrail-logs,logs-*")
        patterns.append(entry)
    return tuple(dict.fromkeys(patterns))


def _wildcard_match(pattern: str, text: str) -> bool:
    """``*`` matches any run of characters; everything else itself. Greedy two-pointer
    match with one backtrack point: O(len(pattern) * len(text)) at worst."""
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] != "*" and pattern[p] == text[t]:
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def bucket_allowed(patterns: Sequence[str], bucket: str) -> bool:
    """True when ``patterns`` is empty or ``bucket`` matches one of them."""
    return not patterns or any(_wildcard_match(p, bucket) for p in patterns)


def describe(patterns: Sequence[str]) -> str:
    """The allow-list for messages: ``any bucket`` or the patterns, comma-separated."""
    return ",".join(patterns) if patterns else "any bucket"
