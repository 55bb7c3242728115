"""What the input learns about its queue: visibility timeout, dead-letter queue, depths."""

from __future__ import annotations

import json
import logging

from .config import InputConfig, queue_base_url
from .errors import AwsCallError
from .metrics import Metrics, kv
from .retry import ErrorReporter
from .interfaces import QueueApi

__all__ = ["QueueWatch", "dead_letter_url"]


def dead_letter_url(queue_url: str, redrive_policy: str) -> str:
    """The dead-letter queue's URL, from the redrive policy's target ARN (same endpoint)."""
    try:
        arn = json.loads(redrive_policy)["deadLetterTargetArn"]
        _, _, _, _, account, name = arn.split(":", 5)
    except (ValueError, KeyError, TypeError):
        return ""
    return f"{queue_base_url(queue_url)}/{account}/{name}"


class QueueWatch:
    """Reads the queue's settings at start and its depths for the summary line."""

    def __init__(self, cfg: InputConfig, queue: QueueApi, log: logging.Logger, errors: ErrorReporter):
        self.cfg, self.sqs, self.log, self.errors = cfg, queue, log, errors
        self.visibility_timeout = 30
        self.dead_letter_queue = ""
        self.inspected = False

    def inspect(self) -> None:
        """Read the visibility timeout and warn when no dead-letter queue is set."""
        try:
            attrs = self.sqs.attributes(["VisibilityTimeout", "RedrivePolicy"])
        except AwsCallError as exc:
            self.errors.report(exc)
            return
        self.inspected = True
        self.visibility_timeout = int(attrs.get("VisibilityTimeout", 30) or 30)
        redrive = attrs.get("RedrivePolicy")
        if not redrive:
            self.log.warning(kv(
                action="no_redrive_policy", queue=self.cfg.sqs_queue_url,
                detail="messages that keep failing are retried until they expire; "
                       "set a redrive policy with a dead-letter queue on the queue",
            ))
        else:
            self.dead_letter_queue = dead_letter_url(self.cfg.sqs_queue_url, redrive)
        self.log.info(kv(action="started", queue=self.cfg.sqs_queue_url,
                         visibility_timeout=self.visibility_timeout, workers=self.cfg.max_workers,
                         log_type=self.cfg.log_type))

    def summary(self, metrics: Metrics) -> None:
        """Log the counters with the queue's and the dead-letter queue's depth."""
        fields = metrics.summary()
        try:
            attrs = self.sqs.attributes(["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
            fields["queue_depth"] = attrs.get("ApproximateNumberOfMessages")
            fields["queue_in_flight"] = attrs.get("ApproximateNumberOfMessagesNotVisible")
        except AwsCallError:
            pass
        if self.dead_letter_queue:
            try:
                dlq = self.sqs.sibling(self.dead_letter_queue).attributes(["ApproximateNumberOfMessages"])
                fields["dead_letter_depth"] = dlq.get("ApproximateNumberOfMessages")
            except AwsCallError:
                self.dead_letter_queue = ""  # not readable with these permissions: stop asking
        self.log.info(kv(action="summary", **fields))
