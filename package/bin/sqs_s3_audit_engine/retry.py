"""Backing off and reporting AWS failures once per cause."""

from __future__ import annotations

import logging
import random

from .errors import AwsCallError
from .metrics import kv

__all__ = ["Backoff", "ErrorReporter"]


class Backoff:
    """Exponential backoff with jitter: ``next()`` is the next delay in seconds."""

    def __init__(self, base: float = 1.0, cap: float = 60.0):
        self.base, self.cap, self.failures = base, cap, 0

    def next(self) -> float:
        self.failures += 1
        ceiling = min(self.cap, self.base * (2 ** min(self.failures - 1, 16)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0


class ErrorReporter:
    """Logs an AWS failure at ERROR once per cause; repeats go to DEBUG until reset.

    One cause is one thing to fix: a missing queue fails every call the same way, while a
    denied call names the one permission to grant.
    """

    def __init__(self, log: logging.Logger):
        self.log = log
        self._seen: set = set()

    def report(self, exc: AwsCallError) -> None:
        denied = "denied" in exc.code.lower() or "authoriz" in exc.code.lower()
        cause = (exc.code, exc.call if denied else "")
        level = logging.DEBUG if cause in self._seen else logging.ERROR
        self._seen.add(cause)
        self.log.log(level, kv(action="aws_error", call=exc.call, reason=exc.code, detail=str(exc)))

    def reset(self) -> None:
        self._seen.clear()
