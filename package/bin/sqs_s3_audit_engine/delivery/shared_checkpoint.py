"""The checkpoint shared by every forwarder of a queue: one DynamoDB item per object.

The table is the admin's (partition key ``pk``, String; TTL on ``expires_at``). One item
per object version, keyed ``<account>/<queue>#<object id>`` so that every forwarder of a
queue finds the same item whatever endpoint or input name it uses:

=============  =====  ===========================================================
attribute      type   meaning
=============  =====  ===========================================================
``pk``         S      ``<account id>/<queue name>#<object id>``
``pos``        N      next position to write; ``-1`` when the object is finished
``owner``      S      the forwarder writing it now (absent when nobody is)
``lease_until`` N     epoch seconds the owner's lease runs to
``expires_at`` N      TTL: 14 days after the last change (finished objects are
                      remembered that long, abandoned ones vanish)
``meta``       S      JSON of the finished object's metadata (a content hash)
``updated``    N      epoch seconds of the last change
=============  =====  ===========================================================

Every write is conditional. ``acquire`` takes the lease only when nobody holds it, the
caller already does, or the holder's lease ran out (the holder died); ``advance`` and
``finish`` succeed only for the holder (or a writer of an unowned item) and never move a
position backwards, so a writer whose lease was taken over gets :class:`LeaseLost` instead
of overwriting the new writer's progress. Held leases are renewed by a timer at a third
of their time to live, also while the writer is blocked on a full stdout, so a live
forwarder keeps its objects and a dead one's expire.

Throttling, 5xx and dropped connections are retried by boto3's standard mode and then a
few more times here; what still fails raises :class:`CheckpointUnavailable` naming the
table, region, action and cause. Costs: see the README (one UpdateItem per checkpoint
window, two or three requests per object).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable, Dict, Optional

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from ..retry import CHECKPOINT_CALL
from ..errors import StopRequested
from .dynamodb_items import (NAMES, RETRIED_CAUSES, CONDITION_FAILED, ConditionFailed, error_of, names, number,
                             owner_id, table_arn, unavailable)
from .leases import DONE, CheckpointUnavailable, Lease, LeaseLost, OutageLog

__all__ = ["SharedCheckpoint", "table_arn", "RETENTION", "DEFAULT_LEASE_TTL"]

RETENTION = 14 * 86400
DEFAULT_LEASE_TTL = 60.0


class SharedCheckpoint:
    """A checkpoint store (see :class:`.leases.LeasedCheckpoint`) on a DynamoDB table.

    Args:
        client: a boto3 DynamoDB client (the input's session, proxy and endpoint).
        table: the table name; region: its region (for messages).
        scope: what the forwarders of one queue share: ``<account id>/<queue name>``.
        owner: this forwarder's id (default: host, pid, input and a random part).
        lease_ttl: seconds a lease lasts without renewal (the queue's visibility timeout
            is a good value: a dead holder's object is free when its message comes back).
        retention: seconds finished objects are remembered (``expires_at``).
        attempts: calls tried this many times (after boto3's own retries) while the
            table throttles or is unreachable, with backoff.
        clock: epoch seconds (tests).
        log: where outages are logged (ERROR once per cause, INFO when the table answers
            again); without it the caller logs them.
    """

    def __init__(self, client, *, table: str, region: str, scope: str, owner: str = "",
                 lease_ttl: float = DEFAULT_LEASE_TTL, retention: float = RETENTION,
                 attempts: int = CHECKPOINT_CALL.attempts, clock: Callable[[], float] = time.time,
                 account: str = "<account id>",
                 log: Optional[logging.Logger] = None):
        self.client, self.table, self.region, self.scope = client, table, region, scope
        self.owner = owner or owner_id(scope.rsplit("/", 1)[-1])
        self.lease_ttl = max(float(lease_ttl), 2.0)
        self.retention, self.attempts, self.clock = retention, max(1, attempts), clock
        self.arn = table_arn(table, region, account)
        self._held: Dict[str, float] = {}  # oid -> monotonic time of the last lease write
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._available = threading.Event()
        self._available.set()
        self._renewer: Optional[threading.Thread] = None
        self.last_error: Optional[CheckpointUnavailable] = None
        self.requests = 0
        self._outage = OutageLog(log) if log is not None else None
        self.logs_outages = log is not None
        self.stop = threading.Event()  # the input's stop event (set by the collector): ends waits for the table

    # -- reading -------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """False after a call failed with :class:`CheckpointUnavailable`, until one succeeds."""
        return self._available.is_set()

    def position(self, oid: str) -> int:
        item = self._get(oid)
        return int(item["pos"]["N"]) if item and "pos" in item else 0

    def is_done(self, oid: str) -> bool:
        return self.position(oid) == DONE

    def meta(self, oid: str) -> Optional[dict]:
        item = self._get(oid)
        if not item or "meta" not in item:
            return None
        try:
            return json.loads(item["meta"]["S"])
        except (ValueError, KeyError):
            return None

    def probe(self) -> None:
        """One consistent read; raises :class:`CheckpointUnavailable` while the table is not usable."""
        self._get("probe")

    # -- the lease -----------------------------------------------------------------
    def acquire(self, oid: str, ttl: Optional[float] = None) -> Optional[Lease]:
        """The lease of ``oid``; None while another live forwarder holds it.

        A finished object gives a lease with ``position == DONE`` that holds nothing.
        """
        ttl = float(ttl or self.lease_ttl)
        for _ in range(3):  # a holder's lease may run out between the write and the read
            now = self.clock()
            values = {":me": {"S": self.owner}, ":until": number(now + ttl), ":now": number(now),
                      ":done": number(DONE), ":zero": number(0), ":exp": number(now + self.retention)}
            try:
                answer = self._call("dynamodb:UpdateItem", self.client.update_item, **self._key(oid),
                                    UpdateExpression="SET #o = :me, #u = :until, #e = :exp, "
                                                     "#p = if_not_exists(#p, :zero)",
                                    ConditionExpression="(attribute_not_exists(#p) OR #p <> :done) AND "
                                                        "(attribute_not_exists(#o) OR #o = :me OR #u < :now)",
                                    ExpressionAttributeNames=names("#o", "#u", "#e", "#p"),
                                    ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
            except ConditionFailed:
                item = self._get(oid) or {}
                if int(item.get("pos", {}).get("N", "0")) == DONE:
                    return Lease(oid, self.owner, 0.0, DONE)
                holder = item.get("owner", {}).get("S", "")
                until = float(item.get("lease_until", {}).get("N", "0"))
                if holder and holder != self.owner and until >= self.clock():
                    return None
                continue
            with self._lock:
                self._held[oid] = time.monotonic()
            self._start_renewer()
            return Lease(oid, self.owner, now + ttl, int(answer["Attributes"]["pos"]["N"]))
        return None

    def renew(self, oid: str) -> None:
        now = self.clock()
        try:
            self._call("dynamodb:UpdateItem", self.client.update_item, **self._key(oid),
                       UpdateExpression="SET #u = :until", ConditionExpression="#o = :me",
                       ExpressionAttributeNames=names("#u", "#o"),
                       ExpressionAttributeValues={":until": number(now + self.lease_ttl), ":me": {"S": self.owner}})
        except ConditionFailed:
            self._forget(oid)
            raise LeaseLost(oid, self.owner) from None
        with self._lock:
            if oid in self._held:
                self._held[oid] = time.monotonic()

    def holds(self, oid: str) -> bool:
        """True while this forwarder holds the lease of ``oid`` (as far as it knows)."""
        with self._lock:
            return oid in self._held

    def attach(self, stop: threading.Event, visibility_timeout: float) -> None:
        """Waits for the table end when ``stop`` is set; a lease lasts the visibility timeout, so a
        dead holder's object is free when its message comes back."""
        self.stop = stop
        self.lease_ttl = float(max(visibility_timeout, 10))

    def wait_available(self, stop: threading.Event, every: float = 2.0) -> None:
        """While the table is down: wait ``every`` seconds, then probe it once (the receive loop)."""
        if not stop.wait(every):
            try:
                self.probe()
            except CheckpointUnavailable:
                pass

    def release(self, oid: str, position: Optional[int] = None) -> None:
        """Store ``position`` first (when given), then free the object for a peer at once."""
        values: Dict[str, Any] = {":me": {"S": self.owner}}
        update = "REMOVE #o, #u"
        condition = "#o = :me"
        placeholders = ["#o", "#u"]
        if position is not None and position > 0:
            update = "SET #p = :p, #t = :now, #e = :exp " + update
            condition += " AND #p <> :done AND #p <= :p"
            now = self.clock()
            values.update({":p": number(position), ":now": number(now), ":exp": number(now + self.retention),
                           ":done": number(DONE)})
            placeholders += ["#p", "#t", "#e"]
        try:
            self._call("dynamodb:UpdateItem", self.client.update_item, **self._key(oid), UpdateExpression=update,
                       ConditionExpression=condition, ExpressionAttributeNames=names(*placeholders),
                       ExpressionAttributeValues=values)
        except ConditionFailed:
            pass  # already taken over: the new holder's progress stands
        finally:
            self._forget(oid)

    # -- writing -------------------------------------------------------------------
    def advance(self, oid: str, next_position: int) -> None:
        """Store the position reached and extend the lease; :class:`LeaseLost` when taken over.

        Written events whose position is not stored must not be followed by more: while the
        table is down this call waits and tries again (the outage logged once), until it is
        stored or the input stops (:class:`StopRequested`).
        """
        self._until_stored(self._write, oid, "SET #p = :p, #o = :me, #u = :until, #e = :exp, #t = :now",
                           number(next_position))

    def finish(self, oid: str, meta: Optional[dict] = None) -> None:
        """Mark the object finished (remembered ``retention`` seconds) and free its lease."""
        update = "SET #p = :p, #e = :exp, #t = :now"
        extra = {}
        if meta is not None:
            update += ", #m = :meta"
            extra[":meta"] = {"S": json.dumps(meta, separators=(",", ":"), sort_keys=True)}
        try:
            self._until_stored(self._write, oid, update + " REMOVE #o, #u", number(DONE), extra)
        finally:
            self._forget(oid)

    def _until_stored(self, call, *args) -> None:
        delay = 1.0
        while True:
            try:
                return call(*args)
            except CheckpointUnavailable:
                if self.stop.wait(delay) or self._closed.is_set():
                    raise StopRequested() from None
                delay = min(delay * 2, 30.0)

    def close(self) -> None:
        """Free every lease still held (their positions are stored) and stop the renewal timer."""
        self._closed.set()
        with self._lock:
            held = list(self._held)
        for oid in held:
            try:
                self.release(oid)
            except CheckpointUnavailable:
                pass  # the lease runs out by itself within lease_ttl

    def _write(self, oid: str, update: str, position: Dict[str, str], extra: Optional[dict] = None) -> None:
        now = self.clock()
        values = {":p": position, ":me": {"S": self.owner}, ":now": number(now),
                  ":exp": number(now + self.retention), ":done": number(DONE), ":until": number(now + self.lease_ttl)}
        values.update(extra or {})
        placeholders = [name for name in NAMES if name in update] + ["#o", "#u", "#p"]
        if ":until" not in update:
            del values[":until"]
        condition = "attribute_not_exists(#o) OR #o = :me OR #u < :now"
        if position != number(DONE):  # a position never moves back, nor past a finish
            condition = f"({condition}) AND (attribute_not_exists(#p) OR (#p <> :done AND #p <= :p))"
        else:  # finishing again (metadata kept by the integrity checks) is allowed
            del values[":done"]
        try:
            self._call("dynamodb:UpdateItem", self.client.update_item, **self._key(oid), UpdateExpression=update,
                       ConditionExpression=condition, ExpressionAttributeNames=names(*placeholders),
                       ExpressionAttributeValues=values)
        except ConditionFailed:
            self._forget(oid)
            raise LeaseLost(oid, self.owner) from None
        with self._lock:
            if oid in self._held or ":until" in update:
                self._held[oid] = time.monotonic()
                self._start_renewer()

    # -- plumbing ------------------------------------------------------------------
    def _key(self, oid: str) -> dict:
        return {"TableName": self.table, "Key": {"pk": {"S": f"{self.scope}#{oid}"}}}

    def _get(self, oid: str) -> Optional[dict]:
        answer = self._call("dynamodb:GetItem", self.client.get_item, **self._key(oid), ConsistentRead=True)
        return answer.get("Item")

    def _forget(self, oid: str) -> None:
        with self._lock:
            self._held.pop(oid, None)

    def _call(self, action: str, method, **kwargs):
        delay = CHECKPOINT_CALL.base
        for attempt in range(1, self.attempts + 1):
            self.requests += 1
            try:
                answer = method(**kwargs)
            except ClientError as exc:
                code, detail, status = error_of(exc)
                if code == CONDITION_FAILED:
                    self._answered(action)
                    raise ConditionFailed() from None
                error = unavailable(self.table, self.region, self.arn, action, code, detail, status)
            except (BotoCoreError, ResponseParserError) as exc:
                error = unavailable(self.table, self.region, self.arn, action, type(exc).__name__, str(exc), 0)
            else:
                self._answered(action)
                return answer
            if error.cause not in RETRIED_CAUSES or attempt == self.attempts:
                self._available.clear()
                self.last_error = error
                if self._outage is not None:
                    self._outage.report(error)
                raise error
            if self._closed.wait(delay):
                raise error
            delay = min(delay * 2, CHECKPOINT_CALL.cap)
        raise AssertionError("unreachable")

    def _answered(self, action: str) -> None:
        if not self._available.is_set():
            self._available.set()
            self.last_error = None
        if self._outage is not None and self._outage.outstanding:
            self._outage.recovered(self.table, action)

    def _start_renewer(self) -> None:
        if self._renewer is None and not self._closed.is_set():
            self._renewer = threading.Thread(target=self._renew_loop, name="lease-renewer", daemon=True)
            self._renewer.start()

    def _renew_loop(self) -> None:
        period = self.lease_ttl / 3
        while not self._closed.wait(min(1.0, period / 2)):
            now = time.monotonic()
            with self._lock:
                due = [oid for oid, at in self._held.items() if now - at >= period]
            for oid in due:
                try:
                    self.renew(oid)
                except (LeaseLost, CheckpointUnavailable):
                    pass  # the next advance of that object reports it

