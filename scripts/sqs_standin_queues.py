"""The SQS stand-in's queues (``scripts/sqs_standin.py`` serves them over HTTP): messages,
visibility, delays and redrive, each step O(1) or O(log n) per message, and the shapes of
the answers, as the SQS API reference describes them:
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
"""

from __future__ import annotations

import collections
import hashlib
import heapq
import itertools
import json
import uuid
from typing import Dict, List, Optional, Tuple

ACCOUNT = "123456789012"
REGION = "us-east-1"
DEFAULTS = {"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600", "DelaySeconds": "0",
            "ReceiveMessageWaitTimeSeconds": "0", "MaximumMessageSize": "262144"}


class SqsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Message:
    __slots__ = ("id", "body", "md5", "sent", "first_received", "receives", "visible_at", "token", "receipt", "sender")

    def __init__(self, body: str, now: float):
        self.id = str(uuid.uuid4())
        self.body = body
        self.md5 = hashlib.md5(body.encode("utf-8")).hexdigest()
        self.sent = int(now * 1000)
        self.first_received = 0
        self.receives = 0
        self.visible_at = now
        self.token = 0  # bumped at every visibility change: older heap entries are stale
        self.receipt = ""
        self.sender = ACCOUNT


class Queue:
    """Visible messages in a deque, hidden ones in a heap by the time they show again;
    every step is O(1) or O(log n) per message."""

    def __init__(self, name: str, url: str, attributes: Dict[str, str], now: float):
        self.name, self.url = name, url
        self.arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        self.attributes = dict(DEFAULTS, **attributes)
        self.created = int(now)
        self.messages: Dict[str, Message] = {}
        self.visible: "collections.deque[Tuple[str, int]]" = collections.deque()
        self.hidden: List[Tuple[float, int, str, int]] = []
        self.receipts: Dict[str, str] = {}  # receipt handle -> message id (every receipt given out)
        self.in_flight = 0
        self.delayed = 0
        self._seq = itertools.count()

    # -- state changes (callers hold the stand-in's lock) ---------------------------
    def add(self, message: Message, delay: int, now: float) -> None:
        self.messages[message.id] = message
        if delay > 0:
            self.delayed += 1
            self._hide(message, now + delay)
        else:
            self.visible.append((message.id, message.token))

    def _hide(self, message: Message, until: float) -> None:
        message.token += 1
        message.visible_at = until
        heapq.heappush(self.hidden, (until, next(self._seq), message.id, message.token))

    def reveal_due(self, now: float) -> None:
        while self.hidden and self.hidden[0][0] <= now:
            _, _, mid, token = heapq.heappop(self.hidden)
            message = self.messages.get(mid)
            if message is not None and message.token == token:
                if message.receipt:
                    self.in_flight -= 1
                    message.receipt = ""
                else:
                    self.delayed -= 1
                message.token += 1
                self.visible.append((mid, message.token))

    def next_visible(self) -> Optional[Message]:
        while self.visible:
            mid, token = self.visible.popleft()
            message = self.messages.get(mid)
            if message is not None and message.token == token:
                return message
        return None

    def receive(self, message: Message, timeout: int, now: float) -> None:
        message.receives += 1
        if not message.first_received:
            message.first_received = int(now * 1000)
        message.receipt = f"{message.id}#{message.receives}#{uuid.uuid4().hex}"
        self.receipts[message.receipt] = message.id
        self.in_flight += 1
        self._hide(message, now + timeout)

    def delete(self, receipt: str) -> None:
        mid = self.receipts.get(receipt)
        if mid is None:
            raise SqsError("ReceiptHandleIsInvalid", f'The input receipt handle "{receipt}" is not a valid receipt handle.')
        message = self.messages.get(mid)
        if message is None or message.receipt != receipt:
            return  # deleted already, or received again since: success, the message stays (as SQS says)
        del self.messages[mid]
        self.in_flight -= 1
        message.token += 1

    def change_visibility(self, receipt: str, timeout: int, now: float) -> None:
        mid = self.receipts.get(receipt)
        message = self.messages.get(mid) if mid else None
        if mid is None:
            raise SqsError("ReceiptHandleIsInvalid", f'The input receipt handle "{receipt}" is not a valid receipt handle.')
        if message is None or message.receipt != receipt:
            raise SqsError("MessageNotInflight", "Message does not exist or is not available for visibility timeout change.")
        if timeout == 0:
            self.in_flight -= 1
            message.receipt = ""
            message.token += 1
            self.visible.append((mid, message.token))
        else:
            self._hide(message, now + timeout)

    def counts(self) -> Tuple[int, int, int]:
        """(visible, not visible, delayed)."""
        return len(self.messages) - self.in_flight - self.delayed, self.in_flight, self.delayed



def batch_entries(params: dict) -> List[dict]:
    entries = params.get("Entries") or []
    if not entries:
        raise SqsError("EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.")
    if len(entries) > 10:
        raise SqsError("TooManyEntriesInBatchRequest", f"Maximum number of entries per request are 10. "
                                                       f"You have sent {len(entries)}.")
    return entries


def redrive_policy(text: Optional[str]) -> Optional[Tuple[str, int]]:
    if not text:
        return None
    try:
        policy = json.loads(text)
        return str(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"])
    except (ValueError, KeyError, TypeError):
        return None


def message_shape(message: Message, names: set) -> dict:
    out = {"MessageId": message.id, "ReceiptHandle": message.receipt, "MD5OfBody": message.md5, "Body": message.body}
    if names:
        every = {"ApproximateReceiveCount": str(message.receives), "SentTimestamp": str(message.sent),
                 "ApproximateFirstReceiveTimestamp": str(message.first_received), "SenderId": message.sender}
        out["Attributes"] = every if "All" in names else {n: every[n] for n in names if n in every}
    return out
