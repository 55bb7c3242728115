"""Receiving ahead of the workers.

The collector holds ``3 x max_workers`` places for messages received and not yet finished
by a worker: ``max_workers`` being worked on and twice as many waiting, so a worker that
finishes takes its next message at once instead of waiting for a ReceiveMessage round trip.
Each receiver thread asks for as many messages as there are free places (at most the
input's ``sqs_batch_size``, at most 10 a call); one receiver per 4 workers keeps 16 workers
fed across a 50 ms round trip. A message received once the input is stopping is given
back at once (visibility 0).
"""

from __future__ import annotations

import logging
import queue as queue_module
import threading
import time
from typing import Callable, Optional

from .aws import Queue
from .errors import AwsCallError
from .metrics import Metrics, kv
from .retry import Backoff, ErrorReporter

__all__ = ["Intake", "receivers_for", "places_for"]


def places_for(max_workers: int) -> int:
    """Messages received and unfinished at most: working plus twice as many waiting."""
    return 3 * max_workers


def receivers_for(max_workers: int) -> int:
    return (max_workers + 3) // 4


class Intake:
    """The places, the work queue the workers take from, and the receive loop.

    Args:
        sqs: the queue.
        max_workers, batch_size, wait_seconds: from the input.
        errors: the collector's error reporter (once per cause).
        metrics, log: the input's.
    """

    def __init__(self, sqs: Queue, *, max_workers: int, batch_size: int, wait_seconds: int,
                 errors: ErrorReporter, metrics: Metrics, log: logging.Logger):
        self.sqs, self.batch_size, self.wait_seconds = sqs, batch_size, wait_seconds
        self.errors, self.metrics, self.log = errors, metrics, log
        self.places = threading.Semaphore(places_for(max_workers))
        self.work: "queue_module.Queue[Optional[dict]]" = queue_module.Queue()

    def done(self) -> None:
        """A worker finished a message (its fate handed on): its place is free."""
        self.places.release()

    def loop(self, stop: threading.Event, *, keeper, fates, on_recovered: Callable[[], None],
             tick: Optional[Callable[[], None]] = None) -> None:
        """Receive until ``stop``; ``tick`` runs before each receive (summaries, digests)."""
        backoff = Backoff()
        while not stop.is_set():
            if tick is not None:
                tick()
            taken = self._take()
            if not taken:
                continue
            try:
                messages = self.sqs.receive(taken, self.wait_seconds)
            except AwsCallError as exc:
                self._release(taken)
                self.errors.report(exc)
                stop.wait(backoff.next())
                continue
            if backoff.failures:
                self.log.info(kv(action="recovered", call="sqs:ReceiveMessage"))
                self.errors.reset()
                on_recovered()
            backoff.reset()
            self._release(taken - len(messages))
            for message in messages:
                self.metrics.add("messages_received")
                keeper.track(message["ReceiptHandle"])
                if stop.is_set():
                    fates.give_back(message)
                    self.places.release()
                else:
                    self.work.put(message)

    def _take(self) -> int:
        if not self.places.acquire(timeout=0.5):
            return 0
        taken = 1
        while taken < self.batch_size and self.places.acquire(blocking=False):
            taken += 1
        return taken

    def _release(self, count: int) -> None:
        for _ in range(max(0, count)):
            self.places.release()


def every(seconds: float, action: Callable[[], None]) -> Callable[[], None]:
    """A tick that runs ``action`` at most once per ``seconds``."""
    due = [time.monotonic() + seconds]

    def tick() -> None:
        if time.monotonic() >= due[0]:
            action()
            due[0] = time.monotonic() + seconds
    return tick
