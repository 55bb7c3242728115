"""Completeness: each log file a digest lists, looked up among the files this add-on read.

Source: "Custom implementations of CloudTrail log file integrity validation": a log file is
valid when the SHA-256 of its uncompressed content equals the ``hashValue`` the digest lists.
The hash is computed while the file is read (:class:`ContentHash`), so nothing is read twice.

A file is ``verified`` (read, same hash), ``modified`` (read, different hash: what was
ingested is not what CloudTrail delivered), or not seen yet. A digest and its log files race
through the queue, so an unseen file is waited for (``cloudtrail_digest_grace``) and only
then looked up in S3 (``HeadObject``): when its current version was read after all (the
checkpoint kept its hash with the finished object), it is verified or modified; otherwise it
is ``missing`` when the checkpoint is shared by every forwarder of the queue or when the
object is no longer in the bucket, and ``not_known_here`` with a local checkpoint, where
another forwarder reading the same queue may have ingested it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, NamedTuple, Optional

from .digest import LogFileEntry
from .state import StateStore

__all__ = ["ContentHash", "record_log_hash", "log_hash", "Tally", "tally", "Presence", "settle"]


class ContentHash:
    """SHA-256 of an object's uncompressed bytes, fed chunk by chunk."""

    __slots__ = ("_hash", "size")

    def __init__(self):
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _name(bucket: str, key: str) -> str:
    return f"log:{bucket}/{key}"


def record_log_hash(state: StateStore, bucket: str, key: str, sha256: str) -> None:
    """Remember the hash of a finished CloudTrail log file, by bucket and key."""
    state.put(_name(bucket, key), {"sha256": sha256})


def log_hash(state: StateStore, bucket: str, key: str) -> Optional[str]:
    entry = state.get(_name(bucket, key))
    value = entry.get("sha256") if entry else None
    return value if isinstance(value, str) else None


@dataclass
class Tally:
    verified: List[str] = field(default_factory=list)
    modified: List[str] = field(default_factory=list)
    unseen: List[LogFileEntry] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    not_known_here: List[str] = field(default_factory=list)


def tally(state: StateStore, entries: Iterable[LogFileEntry]) -> Tally:
    """Sort listed files into verified, modified and not (yet) seen."""
    result = Tally()
    for entry in entries:
        seen = log_hash(state, entry.bucket, entry.key)
        if seen is None:
            result.unseen.append(entry)
        elif seen == entry.hash_value and entry.hash_algorithm.upper() in ("SHA-256", "SHA256"):
            result.verified.append(f"s3://{entry.bucket}/{entry.key}")
        else:
            result.modified.append(f"s3://{entry.bucket}/{entry.key}")
    return result


class Presence(NamedTuple):
    """What S3 says of a listed file this add-on has no hash for (by bucket and key).

    ``present``: in the bucket (True), gone (False), cannot tell (None). ``sha256``: the hash
    the checkpoint kept with the finished object of its current version, when it was read
    after all (the by-key entry lost to a crash between two writes, or evicted).
    """

    present: Optional[bool]
    sha256: str = ""


def settle(unseen: Iterable[LogFileEntry], *, shared: bool,
           locate: Optional[Callable[[str, str], Presence]],
           may_locate: Callable[[str], bool] = lambda _bucket: True) -> Tally:
    """After the grace period: files never seen, sorted into verified and modified (read after
    all), ``missing`` and ``not_known_here`` (the latter two in ``unseen`` as source names)."""
    result = Tally()
    names: List[str] = []
    for entry in unseen:
        name = f"s3://{entry.bucket}/{entry.key}"
        found = locate(entry.bucket, entry.key) if locate is not None and may_locate(entry.bucket) else Presence(None)
        if found.sha256:
            (result.verified if found.sha256 == entry.hash_value else result.modified).append(name)
        elif shared or found.present is False:
            result.missing.append(name)
        else:
            names.append(name)
    result.not_known_here = names
    return result
