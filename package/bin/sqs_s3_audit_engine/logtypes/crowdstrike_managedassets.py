"""CrowdStrike FDR managed assets inventory (sourcetype ``crowdstrike:inventory:managedassets``).

Files under ``managedassets/`` of an FDR feed (gzipped JSON Lines, one record per line); the
sourcetype is the one the Splunk Add-on for CrowdStrike FDR gives them. Time from ``_time``
(epoch seconds), as that add-on reads it. Recognised only by the folder an FDR notification
names (:mod:`..crowdstrike_fdr`), or chosen as the input's ``log_type``.
"""

from __future__ import annotations

from . import LogType, stateless
from ..crowdstrike_fdr import time_reader

__all__ = ["LOG_TYPE"]

LOG_TYPE = LogType(
    name="crowdstrike_managedassets",
    sourcetype="crowdstrike:inventory:managedassets",
    title="CrowdStrike FDR managed assets inventory",
    decoder="json",
    new_reader=stateless(time_reader(("_time",))),
)
