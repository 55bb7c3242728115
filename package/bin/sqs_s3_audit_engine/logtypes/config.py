"""AWS Config configuration history and snapshot files (sourcetype ``aws:config``).

Source: AWS Config developer guide, "Viewing configuration details" and "Delivery of
configuration items". Keys:
``[prefix/]AWSLogs/<account>/Config/<region>/YYYY/M/D/ConfigHistory/<account>_Config_<region>_ConfigHistory_<type>_<times>_<n>.json.gz``
and ``.../ConfigSnapshot/<account>_Config_<region>_ConfigSnapshot_<time>_<id>.json.gz``.
Gzipped JSON ``{"fileVersion", "configSnapshotId"?, "configurationItems": [...]}``:
one event per configuration item (the JSON decoder streams ``configurationItems`` as
it streams CloudTrail's ``Records``); the record's time is
``configurationItemCaptureTime``.

Config also writes ``AWSLogs/<account>/Config/ConfigWritabilityCheckFile`` when a
delivery channel is set up: a check file, not a log (:mod:`.aws_test_file`).
"""

from __future__ import annotations

import re
from typing import Optional

from ..decoders import Item
from ..timestamps import iso8601_to_text
from . import LogType, stateless

__all__ = ["LOG_TYPE", "KEY_PATTERN", "WRITABILITY_CHECK", "STREAM_KEY", "is_configuration_item", "item_time"]

KEY_PATTERN = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/Config/")
WRITABILITY_CHECK = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/Config/ConfigWritabilityCheckFile$")
#: The array of a history or snapshot file that holds the records.
STREAM_KEY = "configurationItems"


def is_configuration_item(value: object) -> bool:
    """Content recognition: one configuration item."""
    return (
        isinstance(value, dict)
        and "configurationItemCaptureTime" in value
        and "resourceType" in value
        and "messageType" not in value
    )


def item_time(value: object) -> Optional[str]:
    """``configurationItemCaptureTime`` as epoch text."""
    return iso8601_to_text(value.get("configurationItemCaptureTime")) if isinstance(value, dict) else None


def _recognise(item: Item) -> bool:
    return item.origin == STREAM_KEY or is_configuration_item(item.value)


LOG_TYPE = LogType(
    name="config",
    sourcetype="aws:config",
    title="AWS Config configuration history and snapshots",
    decoder="json",
    new_reader=stateless(lambda item: item_time(item.value)),
    key_pattern=KEY_PATTERN,
    recognise=_recognise,
)
