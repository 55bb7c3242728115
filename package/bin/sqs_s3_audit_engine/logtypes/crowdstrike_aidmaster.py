"""CrowdStrike FDR host inventory (aidmaster) (sourcetype ``crowdstrike:inventory:aidmaster``).

Files under ``aidmaster/`` of an FDR feed (gzipped JSON Lines, one record per line); the
sourcetype is the one the Splunk Add-on for CrowdStrike FDR gives them. Time from ``Time``
(epoch seconds), as that add-on reads it. Recognised only by the folder an FDR notification
names (:mod:`..crowdstrike_fdr`), or chosen as the input's ``log_type``.
"""

from __future__ import annotations

from . import LogType, stateless
from ..crowdstrike_fdr import time_reader

__all__ = ["LOG_TYPE"]

LOG_TYPE = LogType(
    name="crowdstrike_aidmaster",
    sourcetype="crowdstrike:inventory:aidmaster",
    title="CrowdStrike FDR host inventory (aidmaster)",
    decoder="json",
    new_reader=stateless(time_reader(("Time",))),
)
