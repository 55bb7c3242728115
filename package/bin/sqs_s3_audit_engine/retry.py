"""The retry policy of the input, in one place; backing off; reporting failures once per cause.

Which errors retry: an :class:`.errors.AwsCallError` or :class:`.errors.ObjectError` carries
``retryable``, decided once, by :func:`.aws.is_retryable` from the codes in
:mod:`.aws_errors` (throttling, 5xx, no answer), or by the reader for an object's bytes (a
connection dropped mid-body retries; a checksum or a decoding error does not).

How often and how long (every number below is used where named, nowhere else):

=====================  =========  ================  ======================================================
what is tried          attempts   backoff (s)       where
=====================  =========  ================  ======================================================
one AWS call           6          botocore's        :func:`.aws_clients.botocore_config` ("standard" mode)
one DynamoDB call      4          botocore's        :data:`.aws_clients` ``_DYNAMODB_CONFIG``, then
                                                    :data:`CHECKPOINT_CALL` around it
a doctor's call        2          botocore's        the checks (they answer a person quickly)
reading an object      4          0.5 .. 8          :mod:`.ingest` (``OBJECT_READ``)
a checkpoint outage    until up   1 .. 30           :mod:`.ingest` (``CHECKPOINT_WAIT``)
a shared checkpoint    3          0.5, 1            :mod:`.delivery.shared_checkpoint`
call
a message's delete     5          0.5, 1, 2, 4      :mod:`.fates` (``MESSAGE_FATE``)
or give-back
ReceiveMessage         until up   1 .. 60           :mod:`.receiving` (``RECEIVE``)
=====================  =========  ================  ======================================================
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from .errors import AwsCallError
from .metrics import kv

__all__ = ["Backoff", "ErrorReporter", "Policy", "AWS_CALL_ATTEMPTS", "DYNAMODB_CALL_ATTEMPTS",
           "CHECK_CALL_ATTEMPTS", "OBJECT_READ", "CHECKPOINT_WAIT", "CHECKPOINT_CALL", "MESSAGE_FATE", "RECEIVE"]


@dataclass(frozen=True)
class Policy:
    """How often one kind of work is tried (``attempts``; 0: until it succeeds or the input
    stops) and the backoff between tries (``base`` doubling up to ``cap``)."""

    attempts: int
    base: float
    cap: float

    def backoff(self) -> "Backoff":
        return Backoff(base=self.base, cap=self.cap)


#: botocore's own tries of one call ("standard" retry mode) before the engine sees a failure
AWS_CALL_ATTEMPTS = 6
#: the shared checkpoint's DynamoDB client: short, :data:`CHECKPOINT_CALL` tries again around it
DYNAMODB_CALL_ATTEMPTS = 4
#: the doctor and the checks on save: a person waits for the answer
CHECK_CALL_ATTEMPTS = 2

OBJECT_READ = Policy(attempts=4, base=0.5, cap=8.0)
CHECKPOINT_WAIT = Policy(attempts=0, base=1.0, cap=30.0)
CHECKPOINT_CALL = Policy(attempts=3, base=0.5, cap=1.0)
MESSAGE_FATE = Policy(attempts=5, base=0.5, cap=4.0)
RECEIVE = Policy(attempts=0, base=1.0, cap=60.0)


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
