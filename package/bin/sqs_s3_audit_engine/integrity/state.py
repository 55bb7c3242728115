"""Small keyed state for the integrity checks, kept in the input's checkpoint.

The checkpoint (local journal or the shared DynamoDB store) remembers finished objects and
a small metadata dict with each (``finish(oid, meta)`` / ``meta(oid)``). The integrity
checks keep three kinds of entries there, under ids that no S3 object version can have:

- ``log:<bucket>/<key>`` -> ``{"sha256": ...}``: the hash of a CloudTrail log file's
  uncompressed content, written when the file is finished (a digest names files by bucket
  and key, without version, so the object's own entry cannot be found from a digest);
- ``chain:<trail|region|account|region>`` -> the last digests seen of that chain;
- ``pending:<owner>`` -> the sources of the digests waiting for their log files, and
  ``pending:<owner>:<source>`` -> each one's record (survives a restart; ``owner`` is the
  host and input name, so forwarders sharing a store keep their own).

Entries live as long as the checkpoint's retention (14 days), far longer than a digest
takes to arrive.
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict, Optional, Protocol

__all__ = ["StateStore", "CheckpointState", "MemoryState", "state_id"]


def state_id(name: str) -> str:
    """A checkpoint id for a named entry (hashed like object ids, with a prefix no S3 key has)."""
    return hashlib.sha256(("\0integrity\0" + name).encode("utf-8", "surrogatepass")).hexdigest()[:32]


class StateStore(Protocol):
    def get(self, name: str) -> Optional[Dict[str, Any]]: ...

    def put(self, name: str, value: Dict[str, Any]) -> None: ...


class CheckpointState:
    """A :class:`StateStore` over a checkpoint offering ``finish(oid, meta)`` and ``meta(oid)``."""

    def __init__(self, checkpoint):
        self.checkpoint = checkpoint

    def get(self, name: str) -> Optional[Dict[str, Any]]:
        value = self.checkpoint.meta(state_id(name))
        return value if isinstance(value, dict) else None

    def put(self, name: str, value: Dict[str, Any]) -> None:
        self.checkpoint.finish(state_id(name), value)


class MemoryState:
    """In-memory :class:`StateStore` (tests, and a one-shot check)."""

    def __init__(self):
        self.values: Dict[str, Dict[str, Any]] = {}

    def get(self, name: str) -> Optional[Dict[str, Any]]:
        return self.values.get(name)

    def put(self, name: str, value: Dict[str, Any]) -> None:
        self.values[name] = value
