"""Counters the collector keeps, logged as ``key=value`` so Splunk extracts them.

Every line starts with ``action=<what>``; the health dashboard and the tests read
the same fields.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from typing import Dict

__all__ = ["Metrics", "kv", "one_line"]


# What could end a log line, or forge or hide text where the log is read: C0 controls
# (CR, LF, TAB, ESC...), DEL, C1 controls (NEL), U+2028/U+2029, bidirectional overrides
# and isolates, the BOM. Splunk breaks its own log files at [\r\n]+.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_NEEDS_QUOTES = re.compile('[\\s=",\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]')
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: "re.Match[str]") -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def one_line(text: str) -> str:
    """``text`` with every character of ``_UNSAFE`` written as an escape (``\\n``,
    ``\\x1b``, ``\\u2028``): it can neither end the line nor act on a terminal."""
    return _UNSAFE.sub(_escape_char, text) if _UNSAFE.search(text) else text


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or _NEEDS_QUOTES.search(text):
        return '"' + one_line(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'
    return text


def kv(**fields: object) -> str:
    """``a=1 b="two words"``: fields in the given order, None values left out.

    A value with a space, ``=``, ``,``, a quote or a character of ``_UNSAFE`` is quoted,
    with ``\\`` and ``\"`` inside and the unsafe characters escaped, so every entry is
    one line whatever a key, a message id or an AWS error message holds.
    """
    return " ".join(f"{k}={_quote(v)}" for k, v in fields.items() if v is not None)


class Metrics:
    """Thread-safe counters with a per-interval view for the periodic summary."""

    COUNTERS = (
        "messages_received", "messages_deleted", "messages_left", "messages_returned",
        "test_events", "objects_done", "objects_skipped", "objects_failed",
        "objects_already_done", "events", "bytes", "bad_records",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total: Counter = Counter()
        self._interval: Counter = Counter()
        self.errors: Counter = Counter()
        self._interval_errors: Counter = Counter()
        self._lag_sum = 0.0
        self._lag_count = 0
        self._lag_max = 0.0
        self._since = time.time()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.total[name] += amount
            self._interval[name] += amount

    def error(self, reason: str) -> None:
        with self._lock:
            self.errors[reason] += 1
            self._interval_errors[reason] += 1

    def lag(self, seconds: float) -> None:
        with self._lock:
            self._lag_sum += seconds
            self._lag_count += 1
            self._lag_max = max(self._lag_max, seconds)

    def summary(self) -> Dict[str, object]:
        """The interval's figures (then reset) for one ``action=summary`` line."""
        with self._lock:
            now = time.time()
            fields: Dict[str, object] = {k: self._interval.get(k, 0) for k in self.COUNTERS}
            fields["interval_seconds"] = round(now - self._since, 1)
            fields["errors"] = sum(self._interval_errors.values())
            for reason, count in sorted(self._interval_errors.items()):
                fields[f"errors_{reason}"] = count
            if self._lag_count:
                fields["lag_avg_seconds"] = round(self._lag_sum / self._lag_count, 1)
                fields["lag_max_seconds"] = round(self._lag_max, 1)
            self._interval.clear()
            self._interval_errors.clear()
            self._lag_sum = self._lag_max = 0.0
            self._lag_count = 0
            self._since = now
            return fields
