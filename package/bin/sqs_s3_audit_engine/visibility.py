"""Keeps in-flight messages hidden from other consumers while they are worked on.

The visibility of every tracked message is extended at half the queue's visibility
timeout, so no other consumer receives it while its objects are being written. Messages due
together are extended together (``ChangeMessageVisibilityBatch``, up to 10 per call).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Dict, List

from .errors import AwsCallError
from .fates import BATCH_ENTRIES
from .metrics import kv
from .interfaces import QueueApi

__all__ = ["VisibilityKeeper"]


class VisibilityKeeper(threading.Thread):
    """Extends the visibility of tracked messages at half the visibility timeout.

    Args:
        sqs: the queue.
        timeout: the queue's visibility timeout in seconds (adjustable later: ``timeout``).
        log: the input's logger.
    """

    def __init__(self, sqs: QueueApi, timeout: int, log: logging.Logger):
        super().__init__(name="visibility-keeper", daemon=True)
        self.sqs, self.timeout, self.log = sqs, max(int(timeout), 2), log
        self._due: Dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def track(self, receipt: str) -> None:
        with self._lock:
            self._due[receipt] = time.monotonic() + self.timeout / 2

    def untrack(self, receipt: str) -> None:
        with self._lock:
            self._due.pop(receipt, None)

    def halt(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        interval = max(0.2, min(1.0, self.timeout / 4))
        while not self._stop_event.wait(interval):
            now = time.monotonic()
            with self._lock:
                due = [r for r, at in self._due.items() if at <= now]
            for i in range(0, len(due), BATCH_ENTRIES):
                self._extend(due[i:i + BATCH_ENTRIES])

    def _extend(self, receipts: List[str]) -> None:
        """One ``ChangeMessageVisibilityBatch``; each entry's failure on its own. A message
        deleted or given back meanwhile (no longer tracked) is not reported."""
        entries = {str(i): r for i, r in enumerate(receipts)}
        call_failed = False
        try:
            failed = self.sqs.change_visibility_batch(entries, self.timeout)
        except AwsCallError as exc:
            self.log.warning(kv(action="visibility_extend_failed", reason=exc.code, detail=str(exc),
                                messages=len(receipts)))
            failed, call_failed = {}, exc.retryable
        soon = min(1.0, self.timeout / 8)  # a failed entry is tried again before the message shows
        with self._lock:
            for entry_id, receipt in entries.items():
                if receipt not in self._due:
                    continue  # deleted or given back meanwhile
                failure = failed.get(entry_id)
                if failure is None:  # extended, or the call failed (a retryable failure: soon again)
                    self._due[receipt] = time.monotonic() + (soon if call_failed else self.timeout / 2)
                    continue
                self.log.warning(kv(action="visibility_extend_failed", reason=failure.code, detail=failure.message))
                if failure.retryable:
                    self._due[receipt] = time.monotonic() + soon
                else:  # an expired or invalid receipt handle: asking again cannot help
                    del self._due[receipt]
