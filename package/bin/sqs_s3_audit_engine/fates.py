"""Carrying out message fates off the workers' path, in batches.

A worker that has flushed every event of a message hands the message here (``delete``)
and takes the next one at once; a message given back when stopping goes here too
(``give_back``: visibility 0). One thread sends what has gathered as
``DeleteMessageBatch`` / ``ChangeMessageVisibilityBatch`` calls of up to 10 entries; a batch
not yet full waits up to ``linger`` seconds for more (as a receive brings up to 10, a delete
takes up to 10: each call costs the input as much CPU as a full one), and nothing waits once
the input is stopping.

Each entry's outcome is its own (``BatchFailure``):

- entry done: counted (``messages_deleted``, ``messages_returned``);
- entry refused by SQS on its side (``SenderFault`` false, e.g. ``InternalError``), or the
  whole call failed with a retryable error: retried with backoff, up to ``attempts``;
- entry refused for good (an expired or invalid receipt handle, no permission): logged at
  ERROR with the message id and the reason. The message is not lost: it stays in the queue
  and comes back after its visibility timeout, when the checkpoint (every object done)
  keeps its events from being written twice and it is deleted then.

Nothing is deleted that was not handed in: this module never decides a fate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Deque, Dict, List, Optional

from .aws import BatchFailure
from .errors import AwsCallError
from .metrics import Metrics, kv
from .retry import MESSAGE_FATE
from .interfaces import QueueApi

__all__ = ["Fate", "Fates", "BATCH_ENTRIES", "FATE_LINGER"]

BATCH_ENTRIES = 10  # SQS's limit per batch call
#: Seconds the input's batch of fewer than 10 fates waits for more (a message deleted this
#: much later is still hidden: the visibility keeper extends it until its fate is done).
FATE_LINGER = 0.25


class Fate(str, Enum):
    """A message's fate, decided by the collector (the table in :mod:`.collector`), carried
    out here: deleted, left for its visibility timeout (and the redrive policy), or given
    back at once (visibility 0)."""

    DELETE = "delete"
    LEAVE = "leave"
    RETURN = "return"

    def __str__(self) -> str:
        return self.value


@dataclass
class _Op:
    kind: Fate
    receipt: str
    message_id: str
    attempt: int = 1
    due: float = 0.0
    at: float = field(default_factory=time.monotonic)
    extra: Dict[str, object] = field(default_factory=dict)


class Fates:
    """Batches deletes and give-backs; ``on_done(receipt)`` is called once per message,
    whatever its outcome (the visibility keeper stops extending it then).

    Args:
        sqs: the queue.
        log, metrics: the input's.
        on_done: called with the receipt handle once the fate is carried out or given up.
        attempts: tries per entry for retryable failures.
        linger: seconds a batch of fewer than 10 waits for more entries.
    """

    def __init__(self, sqs: QueueApi, log: logging.Logger, metrics: Metrics, *,
                 on_done: Optional[Callable[[str], None]] = None, attempts: int = MESSAGE_FATE.attempts,
                 backoff: float = MESSAGE_FATE.base, linger: float = 0.0):
        self.sqs, self.log, self.metrics = sqs, log, metrics
        self.on_done = on_done or (lambda _receipt: None)
        self.attempts, self.backoff, self.linger = attempts, backoff, linger
        self._ready: Deque[_Op] = deque()
        self._retry: List[_Op] = []
        self._cond = threading.Condition()
        self._closing = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="fates", daemon=True)
        self._thread.start()

    # -- handing in ------------------------------------------------------------------
    def delete(self, message: dict) -> None:
        self._put(_Op(Fate.DELETE, message["ReceiptHandle"], message.get("MessageId", "")))

    def give_back(self, message: dict) -> None:
        self._put(_Op(Fate.RETURN, message["ReceiptHandle"], message.get("MessageId", "")))

    def _put(self, op: _Op) -> None:
        with self._cond:
            self._ready.append(op)
            if len(self._ready) in (1, BATCH_ENTRIES) or not self.linger:
                self._cond.notify()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._ready) + len(self._retry) + (1 if self._busy else 0)

    def close(self, timeout: float = 5.0) -> None:
        """Carry out what is pending (retries without waiting), then stop; what is left
        after ``timeout`` is logged: those messages come back after their visibility timeout."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(timeout)
        with self._cond:
            left = list(self._ready) + self._retry
            self._ready.clear()
            self._retry = []
        for op in left:
            self._give_up(op, "Stopping", "not carried out before the input stopped")

    # -- the thread --------------------------------------------------------------------
    def _take(self) -> List[_Op]:
        """Ops to send now, one kind, at most one batch; [] when closed and empty."""
        with self._cond:
            while True:
                now = time.monotonic()
                due = [op for op in self._retry if op.due <= now or self._closing]
                if due:
                    self._retry = [op for op in self._retry if op not in due]
                    self._ready.extend(due)
                if self._ready and not self._closing and len(self._ready) < BATCH_ENTRIES \
                        and now - self._ready[0].at < self.linger:
                    self._cond.wait(self.linger - (now - self._ready[0].at))
                    continue
                if self._ready:
                    kind = self._ready[0].kind
                    batch, seen, keep = [], set(), deque()
                    while self._ready and len(batch) < BATCH_ENTRIES:
                        op = self._ready.popleft()
                        if op.kind != kind:
                            keep.append(op)
                        elif op.receipt in seen:
                            self.on_done(op.receipt)  # the same message handed in twice: once is enough
                        else:
                            seen.add(op.receipt)
                            batch.append(op)
                    self._ready.extendleft(reversed(keep))
                    self._busy = True
                    return batch
                if self._closing and not self._retry:
                    return []
                wait = min((op.due for op in self._retry), default=now + 1.0) - now
                self._cond.wait(max(0.01, wait))

    def _run(self) -> None:
        while True:
            batch = self._take()
            if not batch:
                return
            try:
                self._send(batch)
            except Exception:  # a bug must not stop every later delete
                self.log.exception(kv(action="fates_failed", messages=len(batch)))
                for op in batch:
                    self.on_done(op.receipt)
            finally:
                with self._cond:
                    self._busy = False

    def _send(self, batch: List[_Op]) -> None:
        kind = batch[0].kind
        receipts = {str(i): op.receipt for i, op in enumerate(batch)}
        try:
            if kind is Fate.DELETE:
                failed = self.sqs.delete_batch(receipts)
            else:
                failed = self.sqs.change_visibility_batch(receipts, 0)
        except AwsCallError as exc:
            failure = BatchFailure(exc.code, str(exc), not exc.retryable)
            failed = {entry_id: failure for entry_id in receipts}
        for i, op in enumerate(batch):
            failure = failed.get(str(i))
            if failure is None:
                self.metrics.add("messages_deleted" if kind is Fate.DELETE else "messages_returned")
                self.on_done(op.receipt)
            elif failure.retryable and op.attempt < self.attempts:
                op.attempt += 1
                op.due = time.monotonic() + self.backoff * (2 ** (op.attempt - 2))
                self.log.warning(kv(action="message_fate_retry", fate=kind.value, message_id=op.message_id,
                                    reason=failure.code, attempt=op.attempt - 1, detail=failure.message))
                with self._cond:
                    self._retry.append(op)
            else:
                self._give_up(op, failure.code, failure.message)

    def _give_up(self, op: _Op, code: str, detail: str) -> None:
        self.metrics.error(code)
        self.log.error(kv(action="message_fate_failed", fate=op.kind.value, message_id=op.message_id, reason=code,
                          detail=detail, attempts=op.attempt,
                          outcome="the message stays in the queue and comes back after its visibility timeout; "
                                  "its finished objects are not written again"))
        self.on_done(op.receipt)
