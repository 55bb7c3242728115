"""Leases on objects: one writer of an object at a time, on one forwarder or across a fleet.

A checkpoint store answers where an object's next record is (``position``), records
progress (``advance``, ``finish``) and, with this module's part of the interface, who may
write the object now (``acquire``, ``renew``, ``release``). The local journal
(:class:`..checkpoint.Checkpoint`) gets the lease part from :class:`LocalLeases`: the
collector's own per-object lock already serialises writers inside one process, so a
local lease is an in-process record that always succeeds for its owner. The shared store
(:mod:`.shared_checkpoint`) keeps the lease in the DynamoDB item itself, with conditional
writes, so that two forwarders never stream one object together.

Failures of the store are :class:`CheckpointUnavailable` (the collector stops taking
messages, writes nothing whose progress it cannot store and deletes nothing) and
:class:`LeaseLost` (this writer's lease expired and another forwarder took the object:
stop writing it, return the message).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Protocol, Tuple

from ..errors import EngineError, StopRequested
from ..metrics import kv

__all__ = ["DONE", "Lease", "LeasedCheckpoint", "LocalLeases", "CheckpointUnavailable", "LeaseLost", "ObjectLocks",
           "HeldObject", "OutageLog"]

DONE = -1


@dataclass(frozen=True)
class Lease:
    """The right to write one object until ``until`` (epoch seconds), granted to ``owner``.

    ``position`` is where writing starts: 0 for a new object, the stored next position
    for one a peer had started, :data:`DONE` when it is already finished (nothing to write;
    such a lease holds nothing and needs no release).
    """

    oid: str
    owner: str
    until: float
    position: int

    @property
    def done(self) -> bool:
        return self.position == DONE


class LeasedCheckpoint(Protocol):
    """What the per-object path and the collector need from a checkpoint store (local or
    shared): every caller goes through these, none probes for more."""

    owner: str
    lease_ttl: float

    @property
    def available(self) -> bool:
        """False while the store cannot be reached (take no new message)."""

    def wait_available(self, stop: threading.Event) -> None:
        """Return once the store answers again, or ``stop`` is set."""

    def position(self, oid: str) -> int:
        """Next position to write: 0 unknown, :data:`DONE` finished."""

    def is_done(self, oid: str) -> bool:
        """True when the object was finished (within the retention)."""

    def advance(self, oid: str, next_position: int) -> None:
        """Every position before ``next_position`` is written and flushed."""

    def finish(self, oid: str, meta: Optional[dict] = None) -> None:
        """The whole object is written; ``meta`` (small: a content hash) is kept with it."""

    def meta(self, oid: str) -> Optional[dict]:
        """The metadata given to :meth:`finish`, or None."""

    def acquire(self, oid: str, ttl: Optional[float] = None) -> Optional[Lease]:
        """The lease of ``oid`` for ``ttl`` seconds, or None while another owner holds it."""

    def renew(self, oid: str) -> None:
        """Extend a held lease; raises :class:`LeaseLost` when it was taken over."""

    def release(self, oid: str, position: Optional[int] = None) -> None:
        """Store ``position`` (when given) first, then give the lease up."""

    def holds(self, oid: str) -> bool:
        """True while this owner holds the lease of ``oid``."""

    def attach(self, stop: threading.Event, visibility_timeout: float) -> None:
        """Tie waits for the store to the input's stop; size leases by the queue's visibility timeout."""

    def close(self) -> None:
        """Release every lease still held (positions are already stored) and stop."""


class CheckpointUnavailable(EngineError):
    """The checkpoint store cannot be read or written: nothing may be written or deleted.

    Attributes:
        table, region: where the store is.
        action: the IAM action that failed (``dynamodb:UpdateItem``...).
        code: the AWS error code or exception class name.
        cause: ``missing``, ``denied``, ``unreachable``, ``throttled`` or ``error``: one
            thing to fix, logged once.
        hint: what the admin should change.
    """

    def __init__(self, *, table: str, region: str, action: str, code: str, cause: str, detail: str, hint: str):
        super().__init__(f"checkpoint table {table} in {region}: {action} failed: {code}: {detail} ({hint})")
        self.table, self.region, self.action = table, region, action
        self.code, self.cause, self.detail, self.hint = code, cause, detail, hint
        self.retryable = True  # the input waits for the table and resumes by itself


class LeaseLost(EngineError):
    """Another forwarder holds the object now (this lease expired): stop writing it."""

    def __init__(self, oid: str, owner: str):
        super().__init__(f"object {oid}: the lease of {owner} expired and another forwarder took it over")
        self.oid, self.owner = oid, owner


class LocalLeases:
    """The lease part of the interface for the local journal (one process, in memory).

    Wraps a local :class:`Checkpoint`; every other attribute is the journal's own. A lease
    is granted unless another owner in this process holds it and it has not expired
    (the collector's object lock normally prevents that already).
    """

    def __init__(self, checkpoint, owner: str = "local", ttl: float = 300.0):
        self._checkpoint = checkpoint
        self.owner = owner
        self.ttl = ttl
        self._held: Dict[str, Lease] = {}
        self._lock = threading.Lock()

    available = True  # a local journal is never "down"

    @property
    def lease_ttl(self) -> float:
        return self.ttl

    def wait_available(self, stop: threading.Event) -> None:
        """Never waits: a local journal is always available."""

    def __getattr__(self, name):
        return getattr(self._checkpoint, name)

    def __len__(self) -> int:
        return len(self._checkpoint)

    def acquire(self, oid: str, ttl: Optional[float] = None, owner: Optional[str] = None) -> Optional[Lease]:
        owner = owner or self.owner
        now = time.time()
        position = self._checkpoint.position(oid)  # before the lease lock: it never waits on the journal's
        with self._lock:
            held = self._held.get(oid)
            if held is not None and held.owner != owner and held.until > now:
                return None
            lease = Lease(oid, owner, now + (ttl or self.ttl), position)
            if position != DONE:
                self._held[oid] = lease
            return lease

    def renew(self, oid: str) -> None:
        with self._lock:
            held = self._held.get(oid)
            if held is not None:
                self._held[oid] = Lease(oid, held.owner, time.time() + self.ttl, held.position)

    def release(self, oid: str, position: Optional[int] = None) -> None:
        if position is not None and position > 0:
            self._checkpoint.advance(oid, position)
        with self._lock:
            self._held.pop(oid, None)

    def holds(self, oid: str) -> bool:
        with self._lock:
            return oid in self._held

    def attach(self, stop: threading.Event, visibility_timeout: float) -> None:
        """Nothing to tie to the input's stop or the queue here."""

    def finish(self, oid: str, meta: Optional[dict] = None) -> None:
        if meta is None:
            self._checkpoint.finish(oid)
        else:
            self._checkpoint.finish(oid, meta)
        with self._lock:
            self._held.pop(oid, None)

    def meta(self, oid: str) -> Optional[dict]:
        reader = getattr(self._checkpoint, "meta", None)
        return reader(oid) if reader is not None else None

    def close(self) -> None:
        with self._lock:
            self._held.clear()
        self._checkpoint.close()


class OutageLog:
    """Logs a :class:`CheckpointUnavailable` at ERROR once per cause; INFO when the table is back."""

    def __init__(self, log: logging.Logger):
        self.log = log
        self._seen: set = set()

    def report(self, exc: CheckpointUnavailable) -> None:
        cause = (exc.cause, exc.action if exc.cause == "denied" else "")
        level = logging.DEBUG if cause in self._seen else logging.ERROR
        self._seen.add(cause)
        self.log.log(level, kv(action="checkpoint_unavailable", table=exc.table, region=exc.region, call=exc.action,
                               reason=exc.code, cause=exc.cause, detail=str(exc)))

    @property
    def outstanding(self) -> bool:
        return bool(self._seen)

    def recovered(self, table: str, action: str = "") -> None:
        """A call of ``action`` succeeded: that ends every outage but the denial of another action."""
        ended = {cause for cause in self._seen if not cause[1] or not action or cause[1] == action}
        if ended:
            self._seen -= ended
            self.log.info(kv(action="checkpoint_recovered", table=table, call=action or None))


class ObjectLocks:
    """Two messages naming one object are worked on one after the other in this process."""

    def __init__(self):
        self._locks: Dict[Tuple[str, str], List] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, bucket: str, key: str) -> Iterator[None]:
        name = (bucket, key)
        with self._guard:
            entry = self._locks.setdefault(name, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[name]


class HeldObject:
    """The lease of the object being read; used as a context manager around one attempt.

    ``take(oid)`` waits, polling, while another forwarder holds ``oid`` (the message stays
    hidden meanwhile: returning it would use up a receive towards the dead-letter queue),
    and raises :class:`StopRequested` when the input stops while waiting. On exit a lease
    still held (the object was not finished: a stop, a failure) is released, its position
    already stored after the last batch, so a peer resumes at once.

    Args:
        checkpoint: a :class:`LeasedCheckpoint`.
        stop: the input's stop event.
        ref: the object (bucket, key) for the log line said once when it is held elsewhere.
        log, metrics: the input's logger and counters.
    """

    def __init__(self, checkpoint, stop: threading.Event, ref, *, log: logging.Logger, metrics):
        self.checkpoint, self.stop, self.ref, self.log, self.metrics = checkpoint, stop, ref, log, metrics
        self.lease: Optional[Lease] = None

    def take(self, oid: str) -> Lease:
        if self.lease is not None and self.lease.oid != oid:
            self._release()
        waited = False
        while True:
            lease = self.checkpoint.acquire(oid)
            if lease is not None:
                self.lease = lease
                return lease
            if not waited:
                self.metrics.add("objects_leased_elsewhere")
                self.log.info(kv(action="object_leased_elsewhere", bucket=self.ref.bucket, key=self.ref.key,
                                 detail="another forwarder is writing it: waiting until it is finished or its "
                                        "lease ends"))
                waited = True
            poll = min(5.0, max(0.5, float(self.checkpoint.lease_ttl) / 4))
            if self.stop.wait(poll):
                raise StopRequested()

    def _release(self) -> None:
        lease, self.lease = self.lease, None
        if lease is None or lease.done or not self.checkpoint.holds(lease.oid):
            return
        try:
            self.checkpoint.release(lease.oid)
        except (CheckpointUnavailable, LeaseLost):
            pass  # it runs out by itself within the lease's time to live

    def __enter__(self) -> "HeldObject":
        return self

    def __exit__(self, *exc) -> None:
        self._release()
