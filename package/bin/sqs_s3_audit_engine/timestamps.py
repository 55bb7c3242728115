"""Record timestamps -> Splunk ``<time>`` text (epoch seconds, up to microseconds).

Times are kept as text built from integers, never floats, so ``occurred_at``'s
microseconds and OpenTelemetry's nanoseconds survive exactly (truncated to the
microsecond Splunk stores).

Every reader returns None, never raises, for what is not a plausible time: NaN,
infinities and overflowing numbers (Python's ``json`` accepts ``NaN``, ``Infinity``
and ``1e400``), impossible dates (February 30, month 13, hour 25, year 0) and times
outside 1970-01-01 .. 9999-12-31 UTC. The caller then falls back to the object's
LastModified, as for a record without a time.
"""

from __future__ import annotations

import calendar
import re
from typing import Optional

__all__ = [
    "iso8601_to_epoch",
    "iso8601_to_text",
    "unix_nano_to_text",
    "access_log_time_to_text",
    "epoch_to_text",
    "number_to_text",
    "aws_log_time_to_text",
    "epoch_seconds_text",
]

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
_MINUTES: dict = {}  # "YYYY-MM-DDTHH:MM" -> epoch of that minute (UTC)
# ISO text -> epoch text, for times that parsed: a 5-minute CloudTrail file of 20,000
# records holds at most ~300 distinct eventTimes, so most records cost one dict lookup.
# Bounded (cleared when full); only plausible times (short strings) are kept.
_TEXTS: dict = {}
_TEXTS_MAX = 4096
#: Plausible epochs: 1970-01-01T00:00:00Z up to (not including) year 10000.
MAX_EPOCH = 253402300800


def _timegm(year: int, month: int, day: int, hour: int, minute: int, second: int) -> int:
    """Epoch of a UTC civil time; ValueError for an impossible one (no roll-over:
    ``calendar.timegm`` would turn February 30 into March 1)."""
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
            and 0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 60):  # 60: leap second
        raise ValueError("not a date")
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def _minute_epoch(prefix: str) -> int:
    value = _MINUTES.get(prefix)
    if value is None:
        if len(_MINUTES) > 8192:
            _MINUTES.clear()
        value = _timegm(
            int(prefix[0:4]), int(prefix[5:7]), int(prefix[8:10]), int(prefix[11:13]), int(prefix[14:16]), 0
        )
        _MINUTES[prefix] = value
    return value


def _iso_parts(value: str) -> Optional[tuple]:
    """(whole seconds, microseconds) of an ISO-8601 time, or None."""
    # Fast path: CloudTrail's "2023-07-19T21:33:41Z".
    if len(value) == 20 and value[19] == "Z" and value[10] == "T" and value[16] == ":":
        try:
            return _plausible(_minute_epoch(value[:16]) + _second(value[17:19]), 0)
        except ValueError:  # also calendar.monthrange's IllegalMonthError, year 0
            return None
    match = _ISO.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, frac, tz = match.groups()
    try:
        seconds = _timegm(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except (ValueError, OverflowError):
        return None
    micros = int((frac or "0")[:6].ljust(6, "0"))
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) >= 4 else 0)
        seconds -= sign * offset
    return _plausible(seconds, micros)


def _second(text: str) -> int:
    """Seconds of a minute, 60 for a leap second; ValueError otherwise."""
    if not text.isdigit() or int(text) > 60:
        raise ValueError("not a second")
    return int(text)


def _plausible(seconds: int, micros: int) -> Optional[tuple]:
    return (seconds, micros) if 0 <= seconds < MAX_EPOCH else None


def _text(seconds: int, micros: int) -> str:
    return f"{seconds}.{micros:06d}" if micros else str(seconds)


def iso8601_to_text(value: object) -> Optional[str]:
    """``2023-07-19T21:33:41Z`` -> ``"1689802421"``; None when not a time."""
    if value.__class__ is str:
        text = _TEXTS.get(value)
        if text is not None:
            return text
    elif not isinstance(value, str):
        return None
    parts = _iso_parts(value)  # type: ignore[arg-type]
    if not parts:
        return None
    text = _text(*parts)
    if len(_TEXTS) >= _TEXTS_MAX:
        _TEXTS.clear()
    _TEXTS[value] = text
    return text


def iso8601_to_epoch(value: object) -> Optional[float]:
    """ISO-8601 text -> epoch seconds as float (for metrics), or None."""
    if not isinstance(value, str):
        return None
    parts = _iso_parts(value)
    return parts[0] + parts[1] / 1e6 if parts else None


def unix_nano_to_text(value: object) -> Optional[str]:
    """OpenTelemetry ``timeUnixNano`` (string or integer) -> epoch text; None for 0/absent."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        nanos = int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        return None
    if nanos <= 0 or nanos >= MAX_EPOCH * 1_000_000_000:
        return None
    return _text(nanos // 1_000_000_000, (nanos % 1_000_000_000) // 1000)


_MONTHS = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}


def access_log_time_to_text(value: str) -> Optional[str]:
    """``06/Feb/2019:00:01:57 +0000`` (brackets stripped) -> epoch text."""
    try:
        day, month, rest = value.split("/", 2)
        year, hour, minute, second_tz = rest.split(":", 3)
        second, tz = second_tz.split(" ", 1)
        seconds = _timegm(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second))
        tz = tz.strip()
        if tz and tz[0] in "+-" and len(tz) >= 5:
            offset = int(tz[1:3]) * 3600 + int(tz[3:5]) * 60
            seconds -= offset if tz[0] == "+" else -offset
        return str(seconds) if 0 <= seconds < MAX_EPOCH else None
    except (ValueError, KeyError, OverflowError):
        return None


def epoch_to_text(value: float) -> str:
    """Epoch seconds (float, finite) -> text with at most microseconds."""
    micros_total = int(round(value * 1_000_000))
    return _text(micros_total // 1_000_000, micros_total % 1_000_000)


def number_to_text(value: object) -> Optional[str]:
    """A numeric epoch in seconds, milliseconds, microseconds or nanoseconds -> text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not value > 0:  # also NaN
        return None
    if isinstance(value, int):
        if value >= 10**17:
            return unix_nano_to_text(value)
        if value >= 10**14:
            return _text(value // 1_000_000, value % 1_000_000)
        if value >= 10**11:
            return _text(value // 1000, (value % 1000) * 1000)
        return str(value)
    if value >= 10**11:
        value = value / 1000.0
    if not value < MAX_EPOCH:  # also +Infinity (1e400 decodes to it)
        return None
    return epoch_to_text(value)


def aws_log_time_to_text(value: str) -> Optional[str]:
    """``2018-07-02T22:23:00.186641Z`` / ``2018-12-20T02:59:40`` (UTC) -> epoch text.

    The two shapes of AWS text logs (ELB, CloudFront's date and time joined) take a
    fast path; anything else goes through :func:`iso8601_to_text`.
    """
    n = len(value)
    if n >= 19 and value[10] == "T" and value[13] == ":" and value[16] == ":":
        try:
            if n == 27 and value[19] == "." and value[26] == "Z" and value[20:26].isdigit():
                parts = _plausible(_minute_epoch(value[:16]) + _second(value[17:19]), int(value[20:26]))
                return _text(*parts) if parts else None
            if n == 19:
                parts = _plausible(_minute_epoch(value[:16]) + _second(value[17:19]), 0)
                return _text(*parts) if parts else None
        except ValueError:  # also an impossible date (see _timegm)
            return None
    return iso8601_to_text(value)


def epoch_seconds_text(value: str) -> Optional[str]:
    """A whole number of epoch seconds as text logs write it (VPC flow ``start``), or None."""
    return value if value.isdigit() and value.strip("0") and int(value) < MAX_EPOCH else None
