"""AWS Config notifications (sourcetype ``aws:config:notification``).

Source: AWS Config developer guide, "Notifications that AWS Config sends to an Amazon
SNS topic". The SNS ``Message`` of a Config topic is JSON with a ``messageType``.
Which ones name S3 objects and which ones are events themselves is decided in
``notifications.py``; this module reads the notifications written as events:

- ``ConfigurationItemChangeNotification``: ``configurationItem`` (one item; the
  2014 ``MessageVersion`` 1.0 form carries a ``configurationItems`` list) and
  ``configurationItemDiff``. The same document is what Config stores in S3 under
  ``.../OversizedChangeNotification/...`` for an item too large for SNS;
- ``ComplianceChangeNotification``: ``newEvaluationResult`` / ``oldEvaluationResult``;
- the other message types, written as they are.

The event's time is the item's ``configurationItemCaptureTime``, else the
evaluation's ``resultRecordedTime``, else ``notificationCreationTime`` (the 2014 form:
``NotificationCreateTime``).
"""

from __future__ import annotations

import re
from typing import Optional

from ..timestamps import iso8601_to_text
from . import LogType, stateless

__all__ = ["LOG_TYPE", "KEY_PATTERN", "MESSAGE_TYPES", "POINTER_TYPES", "is_config_notification", "notification_time"]

#: Every ``messageType`` the developer guide lists.
MESSAGE_TYPES = frozenset((
    "ComplianceChangeNotification",
    "ConfigRulesEvaluationStarted",
    "ConfigurationSnapshotDeliveryStarted",
    "ConfigurationSnapshotDeliveryCompleted",
    "ConfigurationSnapshotDeliveryFailed",
    "ConfigurationHistoryDeliveryCompleted",
    "ConfigurationItemChangeNotification",
    "OversizedConfigurationItemChangeNotification",
    "OversizedConfigurationItemChangeDeliveryFailed",
))
#: Message types that point to an S3 object holding the records (not events themselves).
POINTER_TYPES = frozenset((
    "ConfigurationSnapshotDeliveryCompleted",
    "ConfigurationHistoryDeliveryCompleted",
    "OversizedConfigurationItemChangeNotification",
))


def is_config_notification(value: object) -> bool:
    """Content recognition: a Config notification document (SNS message or S3 copy)."""
    return isinstance(value, dict) and value.get("messageType") in MESSAGE_TYPES


def notification_time(value: object) -> Optional[str]:
    """The notification's own time as epoch text (see the module docstring)."""
    if not isinstance(value, dict):
        return None
    item = value.get("configurationItem")
    if not isinstance(item, dict):
        items = value.get("configurationItems")
        item = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else None
    if item is not None:
        text = iso8601_to_text(item.get("configurationItemCaptureTime"))
        if text:
            return text
    result = value.get("newEvaluationResult")
    if isinstance(result, dict):
        text = iso8601_to_text(result.get("resultRecordedTime"))
        if text:
            return text
    return iso8601_to_text(value.get("notificationCreationTime")) or iso8601_to_text(
        value.get("NotificationCreateTime")
    )


#: The S3 copy of an item change notification too large for SNS.
KEY_PATTERN = re.compile(
    r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/Config/[^/]+/\d{4}/\d{1,2}/\d{1,2}/OversizedChangeNotification/"
)

LOG_TYPE = LogType(
    name="config_notification",
    sourcetype="aws:config:notification",
    title="AWS Config notifications",
    decoder="json",
    new_reader=stateless(lambda item: notification_time(item.value)),
    key_pattern=KEY_PATTERN,
    recognise=lambda item: is_config_notification(item.value),
)
