"""AWS Config's writability check file: no records.

Config writes ``AWSLogs/<account>/Config/ConfigWritabilityCheckFile`` when a delivery
channel is set up, to check that it may write to the bucket. It is no log: an S3 event
notification for it is handled like a CloudTrail digest with no handler, skipped.
"""

from __future__ import annotations

from . import NOT_EVENT, LogType
from .config import WRITABILITY_CHECK

__all__ = ["LOG_TYPE"]

LOG_TYPE = LogType(
    name="config_check_file",
    sourcetype="aws:config",
    title="AWS Config writability check file",
    decoder="lines",
    new_reader=lambda: (lambda item: NOT_EVENT),
    key_pattern=WRITABILITY_CHECK,
    selectable=False,
    whole_object=True,
)
