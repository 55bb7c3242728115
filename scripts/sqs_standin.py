"""An SQS stand-in for the bench: the calls the input and the bench's loops make, each in
O(1) per message, so the queue is not what a small-object run measures.

moto's SQS spends about 20 ms of CPU per object on the bench's rig (its receive walks the
whole queue), which saturated a core and hid the input's own limits. This stand-in speaks
the SQS JSON protocol that botocore 1.42 uses for SQS (AWS JSON 1.0: ``POST /`` with
``X-Amz-Target: AmazonSQS.<Action>``, ``Content-Type: application/x-amz-json-1.0``; errors
as ``{"__type": "com.amazonaws.sqs#<Code>", "message": ...}`` with the
``x-amzn-query-error`` header), as the SQS API reference describes:
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html

Calls: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue, GetQueueAttributes,
SetQueueAttributes, SendMessage(Batch), ReceiveMessage (MaxNumberOfMessages, WaitTimeSeconds
long poll, VisibilityTimeout, the system attributes ``ApproximateReceiveCount``,
``SentTimestamp``, ``ApproximateFirstReceiveTimestamp``, ``SenderId``), DeleteMessage(Batch),
ChangeMessageVisibility(Batch). A queue's ``RedrivePolicy`` moves a message received
``maxReceiveCount`` times to its dead-letter queue on the next receive, as SQS does.

Not SQS: no signature check, no FIFO queues, no message attributes, one process in memory.
The bench puts ``scripts/latency_proxy.py`` in front of it for the per-call latency.

    python3 scripts/sqs_standin.py [--port 0]   # prints "port <n>" once listening; SIGTERM stops it

or in-process: ``with SqsStandIn() as sqs: sqs.endpoint``. The queues themselves (messages,
visibility, redrive) are ``scripts/sqs_standin_queues.py``; here are the API's calls and the HTTP.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional

from sqs_standin_queues import ACCOUNT, Message, Queue, SqsError, batch_entries, message_shape, redrive_policy

__all__ = ["SqsStandIn", "SqsError"]

# Code -> (x-amzn-query-error code, sender fault)
_QUERY_CODES = {"QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
                "ReceiptHandleIsInvalid": "ReceiptHandleIsInvalid",
                "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
                "InvalidParameterValue": "InvalidParameterValue",
                "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
                "InvalidAction": "InvalidAction"}


class SqsStandIn:
    """The queues and the HTTP server. ``start()``/``stop()`` or a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queues: Dict[str, Queue] = {}
        self._stopping = False
        stand_in = self

        class Handler(_Handler):
            owner = stand_in

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.endpoint = f"http://{host}:{self.port}"
        self._thread: Optional[threading.Thread] = None

    def start(self) -> "SqsStandIn":
        self._thread = threading.Thread(target=self._server.serve_forever, name="sqs-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._arrived.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "SqsStandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the API ---------------------------------------------------------------
    def call(self, action: str, params: dict, host: str) -> dict:
        handler = getattr(self, "_" + action, None)
        if handler is None:
            raise SqsError("InvalidAction", f"The action {action} is not valid for this endpoint.")
        return handler(params, host) if action == "CreateQueue" else handler(params)

    def _queue(self, params: dict) -> Queue:
        url = params.get("QueueUrl")
        if not url:
            raise SqsError("InvalidParameterValue", "Value for parameter QueueUrl is invalid.")
        queue = self._queues.get(url.rstrip("/").rsplit("/", 1)[-1])
        if queue is None:
            raise SqsError("QueueDoesNotExist", "The specified queue does not exist.")
        return queue

    def _CreateQueue(self, params: dict, host: str) -> dict:
        name = params["QueueName"]
        with self._lock:
            queue = self._queues.get(name)
            if queue is None:
                queue = Queue(name, f"http://{host}/{ACCOUNT}/{name}", params.get("Attributes") or {}, time.time())
                self._queues[name] = queue
            return {"QueueUrl": queue.url}

    def _GetQueueUrl(self, params: dict) -> dict:
        with self._lock:
            queue = self._queues.get(params.get("QueueName", ""))
            if queue is None:
                raise SqsError("QueueDoesNotExist", "The specified queue does not exist.")
            return {"QueueUrl": queue.url}

    def _ListQueues(self, params: dict) -> dict:
        prefix = params.get("QueueNamePrefix", "")
        with self._lock:
            return {"QueueUrls": [q.url for n, q in sorted(self._queues.items()) if n.startswith(prefix)]}

    def _DeleteQueue(self, params: dict) -> dict:
        with self._lock:
            del self._queues[self._queue(params).name]
            return {}

    def _PurgeQueue(self, params: dict) -> dict:
        with self._lock:
            queue = self._queue(params)
            self._queues[queue.name] = Queue(queue.name, queue.url, queue.attributes, time.time())
            return {}

    def _SetQueueAttributes(self, params: dict) -> dict:
        with self._lock:
            self._queue(params).attributes.update(params.get("Attributes") or {})
            return {}

    def _GetQueueAttributes(self, params: dict) -> dict:
        names = params.get("AttributeNames") or ["All"]
        with self._lock:
            queue = self._queue(params)
            queue.reveal_due(time.time())
            visible, hidden, delayed = queue.counts()
            every = dict(queue.attributes, QueueArn=queue.arn, ApproximateNumberOfMessages=str(visible),
                         ApproximateNumberOfMessagesNotVisible=str(hidden),
                         ApproximateNumberOfMessagesDelayed=str(delayed), CreatedTimestamp=str(queue.created),
                         LastModifiedTimestamp=str(queue.created))
        wanted = every if "All" in names else {n: every[n] for n in names if n in every}
        return {"Attributes": wanted}

    def _SendMessage(self, params: dict) -> dict:
        with self._lock:
            queue = self._queue(params)
            return self._send(queue, params)

    def _send(self, queue: Queue, entry: dict) -> dict:
        body = entry.get("MessageBody")
        if not body:
            raise SqsError("InvalidParameterValue", "The request must contain the parameter MessageBody.")
        now = time.time()
        message = Message(body, now)
        queue.add(message, int(entry.get("DelaySeconds", queue.attributes["DelaySeconds"])), now)
        self._arrived.notify_all()
        return {"MessageId": message.id, "MD5OfMessageBody": message.md5}

    def _SendMessageBatch(self, params: dict) -> dict:
        entries = batch_entries(params)
        ok, failed = [], []
        with self._lock:
            queue = self._queue(params)
            for entry in entries:
                try:
                    ok.append(dict(self._send(queue, entry), Id=entry["Id"]))
                except SqsError as exc:
                    failed.append({"Id": entry["Id"], "SenderFault": True, "Code": exc.code, "Message": exc.message})
        return {"Successful": ok, "Failed": failed}

    def _ReceiveMessage(self, params: dict) -> dict:
        most = int(params.get("MaxNumberOfMessages", 1))
        if not 1 <= most <= 10:
            raise SqsError("InvalidParameterValue", f"Value {most} for parameter MaxNumberOfMessages is invalid. "
                                                    "Reason: must be between 1 and 10, if provided.")
        names = set(params.get("AttributeNames") or []) | set(params.get("MessageSystemAttributeNames") or [])
        with self._lock:
            queue = self._queue(params)
            wait = float(params.get("WaitTimeSeconds", queue.attributes["ReceiveMessageWaitTimeSeconds"]))
            timeout = int(params.get("VisibilityTimeout", queue.attributes["VisibilityTimeout"]))
            deadline = time.time() + wait
            while True:
                now = time.time()
                queue.reveal_due(now)
                got = self._take(queue, most, timeout, now)
                if got or now >= deadline or self._stopping:
                    break
                due = queue.hidden[0][0] if queue.hidden else deadline
                self._arrived.wait(max(0.001, min(deadline, due) - now))
                queue = self._queue(params)
            return {"Messages": [message_shape(m, names) for m in got]} if got else {}

    def _take(self, queue: Queue, most: int, timeout: int, now: float) -> List[Message]:
        got: List[Message] = []
        redrive = redrive_policy(queue.attributes.get("RedrivePolicy"))
        while len(got) < most:
            message = queue.next_visible()
            if message is None:
                break
            if redrive and message.receives >= redrive[1]:
                target = self._queues.get(redrive[0].rsplit(":", 1)[-1])
                if target is not None:
                    queue.messages.pop(message.id, None)
                    message.token, message.receipt = 0, ""
                    target.add(message, 0, now)
                    continue
            queue.receive(message, timeout, now)
            got.append(message)
        return got

    def _DeleteMessage(self, params: dict) -> dict:
        with self._lock:
            self._queue(params).delete(params.get("ReceiptHandle", ""))
            return {}

    def _DeleteMessageBatch(self, params: dict) -> dict:
        return self._batch(params, lambda queue, entry, _now: queue.delete(entry.get("ReceiptHandle", "")))

    def _ChangeMessageVisibility(self, params: dict) -> dict:
        with self._lock:
            self._queue(params).change_visibility(params.get("ReceiptHandle", ""),
                                                  int(params.get("VisibilityTimeout", 0)), time.time())
            self._arrived.notify_all()
            return {}

    def _ChangeMessageVisibilityBatch(self, params: dict) -> dict:
        return self._batch(params, lambda queue, entry, now: queue.change_visibility(
            entry.get("ReceiptHandle", ""), int(entry.get("VisibilityTimeout", 0)), now))

    def _batch(self, params: dict, action) -> dict:
        entries = batch_entries(params)
        ok, failed = [], []
        with self._lock:
            queue = self._queue(params)
            now = time.time()
            for entry in entries:
                try:
                    action(queue, entry, now)
                    ok.append({"Id": entry["Id"]})
                except SqsError as exc:
                    failed.append({"Id": entry["Id"], "SenderFault": True, "Code": exc.code, "Message": exc.message})
            self._arrived.notify_all()
        return {"Successful": ok, "Failed": failed}



class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects
    owner: SqsStandIn

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target", "")
        try:
            if not target.startswith("AmazonSQS."):
                raise SqsError("InvalidAction", f"unknown target {target!r}: this stand-in speaks AWS JSON 1.0 only")
            answer = self.owner.call(target.split(".", 1)[1], json.loads(raw or b"{}"), self.headers.get("Host", ""))
            self._send(200, answer, None)
        except SqsError as exc:
            self._send(exc.status, {"__type": f"com.amazonaws.sqs#{exc.code}", "message": exc.message},
                       f"{_QUERY_CODES.get(exc.code, exc.code)};Sender")
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"__type": "com.amazonaws.sqs#InvalidParameterValue", "message": str(exc)},
                       "InvalidParameterValue;Sender")

    def _send(self, status: int, answer: dict, query_error: Optional[str]) -> None:
        body = json.dumps(answer, separators=(",", ":")).encode()
        head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Bad Request'}",
                "Content-Type: application/x-amz-json-1.0", f"Content-Length: {len(body)}",
                f"x-amzn-RequestId: {uuid.uuid4()}"]
        if query_error:
            head.append(f"x-amzn-query-error: {query_error}")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)  # one write: no Nagle stall
        self.wfile.flush()

    def log_message(self, format: str, *args) -> None:
        """Quiet: a request line per call would cost the bench's CPU."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    stand_in = SqsStandIn(port=args.port).start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    print(f"port {stand_in.port}", flush=True)
    stopped.wait()
    stand_in.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
