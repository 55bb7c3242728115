"""CloudTrail digest files: an integrity proof of the log files, not log records.

A digest is one JSON object (``digestStartTime``, ``digestEndTime``, ``logFiles``...) under
``.../CloudTrail-Digest/...``. It is never written as a plain event: the collector hands
it to the digest handler (``cloudtrail_digests = validate``) or skips it.
"""

from __future__ import annotations

import re

from ..decoders import Item
from . import NOT_EVENT, LogType

__all__ = ["LOG_TYPE", "KEY", "is_digest"]

KEY = re.compile(r"(?:^|/)CloudTrail-Digest/")


def is_digest(value: object) -> bool:
    """A CloudTrail digest file's body."""
    return isinstance(value, dict) and "digestStartTime" in value and "digestEndTime" in value


def _recognise(item: Item) -> bool:
    return item.origin == "" and is_digest(item.value)


def _reader():
    return lambda _item: NOT_EVENT


LOG_TYPE = LogType(
    name="cloudtrail_digest",
    sourcetype="aws:cloudtrail:digest",
    title="AWS CloudTrail digest",
    decoder="json",
    new_reader=_reader,
    key_pattern=KEY,
    recognise=_recognise,
    selectable=False,
    whole_object=True,
)
