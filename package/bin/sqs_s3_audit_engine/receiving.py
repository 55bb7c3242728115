"""Receiving ahead of the workers.

The collector holds ``3 x max_workers`` places for messages received and not yet finished
by a worker: ``max_workers`` being worked on and twice as many waiting, so a worker that
finishes takes its next message at once instead of waiting for a ReceiveMessage round trip.
Each receiver thread asks for as many messages as there are free places (at most the
input's ``sqs_batch_size``, at most 10 a call), and while received messages still wait for a
worker it does not ask for only 1 or 2: it waits for :data:`MIN_BATCH` free places, and for a
full batch while at least half the workers' worth of messages wait (or until the waiting
messages are taken). A small receive costs as much SQS time and CPU as a full one.
One receiver per 8 workers keeps them fed across a 50 ms round trip (a receive brings up to
10 messages). A long poll in progress does not hold the input up when it stops: the
receiver stops waiting for it at once, and messages it brings later are given back
(visibility 0), as is any message received once the input is stopping.
"""

from __future__ import annotations

import logging
import queue as queue_module
import threading
import time
from typing import Callable, List, Optional

from .aws import Queue
from .errors import AwsCallError
from .metrics import Metrics, kv
from .retry import RECEIVE, ErrorReporter

__all__ = ["Intake", "receivers_for", "places_for"]


def places_for(max_workers: int) -> int:
    """Messages received and unfinished at most: working plus twice as many waiting."""
    return 3 * max_workers


#: Fewest messages a receive asks for while received messages still wait for a worker.
MIN_BATCH = 3
_STEP = 0.05  # seconds between looks at the places and at the stop while waiting


def receivers_for(max_workers: int) -> int:
    return (max_workers + 7) // 8


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
        self.plenty = max(MIN_BATCH, max_workers // 2)  # messages waiting that cover a receive's round trip
        self.full = min(batch_size, 2 * max_workers)  # a full receive: at most the places for waiting messages
        self.work: "queue_module.Queue[Optional[dict]]" = queue_module.Queue()

    def done(self) -> None:
        """A worker finished a message (its fate handed on): its place is free."""
        self.places.release()

    def loop(self, stop: threading.Event, *, keeper, fates, on_recovered: Callable[[], None],
             tick: Optional[Callable[[], None]] = None) -> None:
        """Receive until ``stop``; ``tick`` runs before each receive (summaries, digests)."""
        backoff = RECEIVE.backoff()
        while not stop.is_set():
            if tick is not None:
                tick()
            taken = self._take(stop)
            if not taken:
                continue
            try:
                messages = self._receive(taken, stop)
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

    def _take(self, stop: threading.Event) -> int:
        """Places for the next receive: every free one up to the batch size; while messages
        wait for a worker, at least :data:`MIN_BATCH`, and a full batch while half the
        workers' worth wait (unless stopping)."""
        if not self.places.acquire(timeout=0.5):
            return 0
        taken = 1
        while taken < self.batch_size:
            if self.places.acquire(blocking=False):
                taken += 1
                continue
            waiting = self.work.qsize()
            least = self.full if waiting >= self.plenty else min(MIN_BATCH, self.batch_size)
            if taken >= least or not waiting or stop.is_set():
                break
            if self.places.acquire(timeout=_STEP):  # the workers are busy with what is queued
                taken += 1
        return taken

    def _receive(self, taken: int, stop: threading.Event) -> List[dict]:
        """ReceiveMessage for ``taken`` messages; when the input stops during the long poll,
        returns [] at once and gives back what the call brings later."""
        if self.wait_seconds <= 0:
            return self.sqs.receive(taken, 0)
        answer: dict = {}
        done = threading.Event()
        lock = threading.Lock()

        def call() -> None:
            try:
                answer["messages"] = self.sqs.receive(taken, self.wait_seconds)
            except AwsCallError as exc:
                answer["error"] = exc
            with lock:
                done.set()
                late = answer.get("abandoned") and answer.get("messages")
            if late:
                self._give_back_late(late)

        threading.Thread(target=call, name="receive", daemon=True).start()
        while not done.wait(_STEP):
            if stop.is_set():
                with lock:
                    if not done.is_set():
                        answer["abandoned"] = True
                        return []
        if "error" in answer:
            raise answer["error"]
        return answer["messages"]

    def _give_back_late(self, messages: List[dict]) -> None:
        """Messages a long poll brought after the input stopped: visible again at once."""
        receipts = {str(i): m["ReceiptHandle"] for i, m in enumerate(messages)}
        try:
            for start in range(0, len(messages), 10):
                part = dict(list(receipts.items())[start:start + 10])
                self.sqs.change_visibility_batch(part, 0)
        except AwsCallError:
            pass  # they come back after the queue's visibility timeout; the checkpoint keeps them exact

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
