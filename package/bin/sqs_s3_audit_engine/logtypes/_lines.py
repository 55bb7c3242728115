"""Small, fast helpers shared by the text log types (ELB, CloudFront, VPC flow logs).

No regular expression runs per line: the readers split on the delimiter and look at
the one or two columns they need.
"""

from __future__ import annotations

from typing import Optional

from ..timestamps import _minute_epoch, iso8601_to_text

__all__ = ["iso_time_to_text", "epoch_seconds_text"]


def iso_time_to_text(value: str) -> Optional[str]:
    """``2018-07-02T22:23:00.186641Z`` / ``2018-12-20T02:59:40`` (UTC) -> epoch text.

    The two shapes AWS load balancers write take a fast path; anything else goes
    through :func:`iso8601_to_text`.
    """
    n = len(value)
    if n >= 19 and value[10] == "T" and value[13] == ":" and value[16] == ":":
        try:
            if n == 27 and value[19] == "." and value[26] == "Z":
                seconds = _minute_epoch(value[:16]) + int(value[17:19])
                micros = int(value[20:26])
                return f"{seconds}.{micros:06d}" if micros else str(seconds)
            if n == 19:
                return str(_minute_epoch(value[:16]) + int(value[17:19]))
        except ValueError:
            return None
    return iso8601_to_text(value)


def epoch_seconds_text(value: str) -> Optional[str]:
    """A whole number of epoch seconds as written by VPC flow logs, or None."""
    return value if value.isdigit() and value != "0" else None
