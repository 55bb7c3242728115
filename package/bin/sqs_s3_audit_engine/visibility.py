"""Keeps in-flight messages hidden from other consumers while they are worked on.

The visibility of every tracked message is extended at half the queue's visibility
timeout, so no other consumer receives it while its objects are being written.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Dict

from .aws import Queue
from .errors import AwsCallError
from .metrics import kv

__all__ = ["VisibilityKeeper"]


class VisibilityKeeper(threading.Thread):
    """Extends the visibility of tracked messages at half the visibility timeout.

    Args:
        sqs: the queue.
        timeout: the queue's visibility timeout in seconds (adjustable later: ``timeout``).
        log: the input's logger.
    """

    def __init__(self, sqs: Queue, timeout: int, log: logging.Logger):
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
            for receipt in due:
                try:
                    self.sqs.change_visibility(receipt, self.timeout)
                except AwsCallError as exc:
                    self.log.warning(kv(action="visibility_extend_failed", reason=exc.code, detail=str(exc)))
                with self._lock:
                    if receipt in self._due:
                        self._due[receipt] = time.monotonic() + self.timeout / 2
