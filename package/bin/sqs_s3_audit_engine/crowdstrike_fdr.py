"""What the CrowdStrike Falcon Data Replicator (FDR) log types share.

FDR delivers gzipped JSON Lines into CrowdStrike's own bucket and announces each batch on
an SQS queue (:mod:`.notification_fdr`). The folder of a file says what it holds, and the
sourcetypes are the ones the Splunk Add-on for CrowdStrike FDR (Splunkbase 5579) gives
them: its ``PREFIX_PATTERN`` (``(data|aidmaster|managedassets|notmanaged|userinfo|appinfo)/``,
searched in the file's path) and its sourcetype constants (``crowdstrike:events:sensor``,
``crowdstrike:inventory:aidmaster`` ...), listed on
https://splunk.github.io/splunk-add-on-for-crowdstrike-fdr/Sourcetypes/ .

Times (epoch text, see :mod:`.timestamps`):

- sensor events: ``ContextTimeStamp`` where present (seconds with a fraction, the time on
  the host), else ``timestamp`` (milliseconds, the time CrowdStrike's cloud received it);
  both arrive as strings, sometimes as numbers;
- inventory: ``Time`` (aidmaster) or ``_time`` (the others), seconds, as the Splunk add-on
  reads them; ``timestamp`` (milliseconds) when those are missing.
"""

from __future__ import annotations

import re
from typing import Callable, Optional, Sequence

from .decoders import Item
from .timestamps import MAX_EPOCH

__all__ = ["FOLDER_PATTERN", "folder_of", "for_path", "seconds_text", "millis_text", "time_reader"]

#: The folder that names a file's kind, searched in its path (``fdrv2/aidmaster/...``).
FOLDER_PATTERN = re.compile(r"(?:^|/)(data|aidmaster|managedassets|notmanaged|userinfo|appinfo)/")
_SECONDS = re.compile(r"^(\d{1,12})(?:\.(\d{1,9}))?$")
_MILLIS = re.compile(r"^\d{1,15}$")


def folder_of(path: str) -> Optional[str]:
    """The FDR folder (``data``, ``aidmaster``...) a file's path names, or None."""
    found = FOLDER_PATTERN.search(path)
    return found.group(1) if found else None


def for_path(path: str) -> str:
    """The log type name of an FDR file at ``path`` (``crowdstrike_aidmaster``), or "" when
    its folder is none of the known ones (its content decides then)."""
    folder = folder_of(path)
    if folder is None:
        return ""
    return "crowdstrike_sensor" if folder == "data" else "crowdstrike_" + folder


def _plausible(seconds: int) -> bool:
    return 0 < seconds < MAX_EPOCH


def seconds_text(value: object) -> Optional[str]:
    """Epoch seconds (``"1625677521.137"``, ``1625677521``, ``1.6e9``) -> text, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not (value == value) or not 0 < value < MAX_EPOCH:  # NaN, out of range
            return None
        if isinstance(value, int):
            return str(value)
        micros = int(round(value * 1_000_000))
        whole, frac = divmod(micros, 1_000_000)
        return f"{whole}.{frac:06d}".rstrip("0").rstrip(".")
    if not isinstance(value, str):
        return None
    found = _SECONDS.match(value.strip())
    if found is None or not _plausible(int(found.group(1))):
        return None
    whole, frac = str(int(found.group(1))), (found.group(2) or "")[:6].rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def millis_text(value: object) -> Optional[str]:
    """Epoch milliseconds (``"1625677521162"`` or a number) -> seconds text, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not (value == value) or not value > 0:
            return None
        return seconds_text(value / 1000.0)
    if isinstance(value, str):
        value = value.strip()
        if not _MILLIS.match(value):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    whole, millis = divmod(value, 1000)
    if not _plausible(whole):
        return None
    return f"{whole}.{millis:03d}".rstrip("0").rstrip(".")


def time_reader(seconds_fields: Sequence[str]) -> Callable[[Item], Optional[str]]:
    """A record reader: the first of ``seconds_fields`` that holds a time, else ``timestamp``."""

    def read(item: Item) -> Optional[str]:
        value = item.value
        if not isinstance(value, dict):
            return None
        for name in seconds_fields:
            if name in value:
                text = seconds_text(value[name])
                if text is not None:
                    return text
        return millis_text(value.get("timestamp"))

    return read
