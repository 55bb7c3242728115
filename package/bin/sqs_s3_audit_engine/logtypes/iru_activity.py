"""Iru Endpoint (formerly Kandji) activity events (sourcetype ``iru:endpoint:activity``).

JSON Lines, a JSON array or an API-style ``{"results":[...]}`` wrapper, gzipped or not;
time from ``occurred_at`` (microseconds kept).
"""

from __future__ import annotations

from ..decoders import Item
from ..timestamps import iso8601_to_text
from . import LogType, field_time, stateless

__all__ = ["LOG_TYPE"]


def _recognise(item: Item) -> bool:
    value = item.value
    return (
        isinstance(value, dict)
        and "occurred_at" in value
        and ("actor_type" in value or "target_type" in value or "actor_id" in value)
    )


LOG_TYPE = LogType(
    name="iru_activity",
    sourcetype="iru:endpoint:activity",
    title="Iru Endpoint activity",
    decoder="json",
    new_reader=stateless(field_time("occurred_at", iso8601_to_text)),
    recognise=_recognise,
)
