"""Any other text (sourcetype ``sqs_s3_audit:text``): one event per non-empty line.

Lines carry no time the add-on knows how to read: the object's LastModified is used.
"""

from __future__ import annotations

from ..decoders import Item
from . import LogType

__all__ = ["LOG_TYPE"]


def _recognise(item: Item) -> bool:
    return item.origin == "line"


def _no_time(_item: Item) -> None:
    return None


LOG_TYPE = LogType(
    name="text",
    sourcetype="sqs_s3_audit:text",
    title="Other text",
    decoder="lines",
    new_reader=lambda: _no_time,
    recognise=_recognise,
)
