"""CrowdStrike FDR sensor events (sourcetype ``crowdstrike:events:sensor``).

Files under ``data/`` of an FDR feed: gzipped JSON Lines, one sensor event per line
(``event_simpleName`` says which: ``ProcessRollup2``, ``NetworkConnectIP4``,
``UserLogon`` ...). Time from ``ContextTimeStamp`` (seconds) where present, else
``timestamp`` (milliseconds), see :mod:`..crowdstrike_fdr`. Besides the folder an FDR
notification names, a record is recognised by its content: ``event_simpleName`` with the
sensor's ``aid`` or the customer's ``cid`` and a ``timestamp``.
"""

from __future__ import annotations

from ..decoders import Item
from . import LogType, stateless
from ..crowdstrike_fdr import time_reader

__all__ = ["LOG_TYPE"]


def _recognise(item: Item) -> bool:
    value = item.value
    return (
        isinstance(value, dict)
        and isinstance(value.get("event_simpleName"), str)
        and ("aid" in value or "cid" in value)
        and "timestamp" in value
    )


LOG_TYPE = LogType(
    name="crowdstrike_sensor",
    sourcetype="crowdstrike:events:sensor",
    title="CrowdStrike FDR sensor events",
    decoder="json",
    new_reader=stateless(time_reader(("ContextTimeStamp",))),
    recognise=_recognise,
)
