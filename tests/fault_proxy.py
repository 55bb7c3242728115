"""A fault-injecting HTTP forward proxy on 127.0.0.1, for tests only (stdlib, threaded).

The input reaches moto server (plain HTTP) through it, so every AWS request arrives in
absolute form (``POST http://127.0.0.1:<moto>/ HTTP/1.1``, no CONNECT). With a seeded
random generator it answers a share of the requests itself, the way AWS misbehaves:

- S3 calls: ``503 SlowDown`` with S3's XML error body;
- SQS and STS calls: ``500 InternalError`` in the caller's protocol: JSON when the request
  carries ``X-Amz-Target`` (boto3's SQS JSON protocol), else the query protocol's XML;
- any call: the connection dropped before the request is forwarded (``drop``), or after
  AWS carried it out, so the answer is lost (``lost_answer``: a received message stays
  invisible, a deleted one is already gone);
- S3 GetObject: the answer cut mid-body (the headers promise more than is sent);
- DynamoDB (by ``burst`` only): ``ProvisionedThroughputExceededException`` as a throttled
  table answers, or ``drop`` (the table unreachable). DynamoDB requests are forwarded one at
  a time: moto applies concurrent conditional writes without a lock, DynamoDB atomically.

Besides the random faults, ``burst(kind, times, match)`` makes the next ``times`` matching
requests fail in a row: longer than the SDK's own retries, so the caller has to notice;
``throttle(match, bytes_per_second)`` trickles matching answers, so an object takes as long
to read as a test needs on any machine.

Everything else is forwarded unchanged. What the proxy saw is kept for the test: faults
injected (``counts``), requests per service (``seen``), the decoded ``Proxy-Authorization``
values (``auth``), AssumeRole request bodies (``assume_role_bodies``), the credentials STS
handed out (``issued``) and the access key and session token each request was signed with
(``signed_with``).
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Set, Tuple
from urllib.parse import parse_qs, urlsplit

__all__ = ["FaultProxy", "FAULTS"]

FAULTS = ("s3_503", "sqs_500", "sts_500", "drop", "lost_answer", "cut_body", "ddb_throttle")
_BURST_ONLY = {"ddb_throttle"}  # DynamoDB (the shared checkpoint) is faulted by bursts only
_HOP = {"connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate", "te",
        "trailers", "transfer-encoding", "upgrade"}
_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/[^/]+/([^/]+)/aws4_request")
_XML_FIELD = r"<{0}>([^<]+)</{0}>"


def _service(headers) -> Tuple[str, str]:
    """(service, access key id) from the SigV4 ``Authorization`` header."""
    match = _SCOPE.search(headers.get("Authorization", ""))
    return (match.group(2), match.group(1)) if match else ("", "")


class FaultProxy:
    """Use as a context manager; ``port`` is where it listens.

    Args:
        rate: share of requests answered with a random fault.
        seed: seeds the random generator (the same decisions in the same request order).
        max_faults: at most this many random faults in all.
        credentials: ``(user, password)`` the proxy demands (407 otherwise), or None.
        every_kind: inject each fault kind once on the first request it fits, so a short
            run still sees all of them.
    """

    def __init__(self, rate: float = 0.15, seed: int = 7, max_faults: int = 200,
                 credentials: Optional[Tuple[str, str]] = None, every_kind: bool = True):
        self.rate, self.max_faults, self.credentials = rate, max_faults, credentials
        self.random = random.Random(seed)
        self.counts: Counter = Counter()
        self.seen: Counter = Counter()
        self.auth: List[str] = []
        self.refused_auth = 0
        self.assume_role_bodies: List[Dict[str, str]] = []
        self.issued: List[Dict[str, str]] = []
        self.signed_with: Dict[str, Set[Tuple[str, str]]] = {}
        self._pending_kinds = set(FAULTS) - {"sts_500"} - _BURST_ONLY if every_kind else set()
        self._bursts: List[List] = []  # [kind, remaining, match]
        self._throttles: List[Tuple[str, float]] = []
        self._lock = threading.Lock()
        # moto's DynamoDB applies concurrent conditional writes without a lock, where DynamoDB
        # applies each one atomically: DynamoDB requests are forwarded one at a time.
        self._ddb_atomic = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy._handle(self)

            do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

            def do_CONNECT(self):  # moto is plain HTTP: a tunnel means the client ignored that
                self.send_error(501, "CONNECT not expected here")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def faults(self) -> int:
        return sum(self.counts.values())

    def burst(self, kind: str, times: int, match: str = "") -> None:
        """Fail the next ``times`` requests that fit ``kind`` (and whose request line or
        ``X-Amz-Target`` contains ``match``) with ``kind``, one after the other."""
        assert kind in FAULTS
        with self._lock:
            self._bursts.append([kind, times, match])

    def end_bursts(self) -> None:
        """Stop every burst still running (a fault that lasts until the test ends it)."""
        with self._lock:
            self._bursts.clear()

    def throttle(self, match: str, bytes_per_second: float) -> None:
        """Send the answers to requests whose request line contains ``match`` slowly."""
        with self._lock:
            self._throttles.append((match, bytes_per_second))

    # -- deciding ------------------------------------------------------------------
    @staticmethod
    def _fitting(service: str, handler) -> List[str]:
        if service == "s3":
            kinds = ["s3_503", "drop", "lost_answer"]
            if handler.command == "GET" and urlsplit(handler.path).path.count("/") >= 2:
                kinds.append("cut_body")  # GetObject: /bucket/key
            return kinds
        if service == "sqs":
            return ["sqs_500", "drop", "lost_answer"]
        if service == "sts":
            return ["sts_500", "drop", "lost_answer"]
        if service == "dynamodb":
            return ["ddb_throttle", "drop"]
        return []

    def _pick(self, service: str, handler) -> str:
        kinds = self._fitting(service, handler)
        if not kinds:
            return ""
        label = f"{handler.command} {handler.path} {handler.headers.get('X-Amz-Target', '')}"
        with self._lock:
            for entry in self._bursts:
                kind, remaining, match = entry
                if remaining > 0 and kind in kinds and match in label:
                    entry[1] -= 1
                    self.counts[kind] += 1
                    return kind
            if service == "dynamodb":
                return ""
            for kind in sorted(self._pending_kinds):
                if kind in kinds and service != "sts":  # STS is asked once: left to chance
                    self._pending_kinds.discard(kind)
                    self.counts[kind] += 1
                    return kind
            if self.faults >= self.max_faults or self.random.random() >= self.rate:
                return ""
            kind = self.random.choice(kinds)
            self.counts[kind] += 1
            return kind

    # -- serving -------------------------------------------------------------------
    def _handle(self, handler) -> None:
        if self.credentials and not self._authorized(handler):
            return
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        service, key_id = _service(handler.headers)
        with self._lock:
            self.seen[service or "other"] += 1
            if service:
                token = handler.headers.get("X-Amz-Security-Token", "")
                self.signed_with.setdefault(service, set()).add((key_id, token))
        if service == "sts" and b"Action=AssumeRole" in body:
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            with self._lock:
                self.assume_role_bodies.append(form)
        fault = self._pick(service, handler)
        if fault == "drop":
            self._drop(handler)
            return
        if fault == "s3_503":
            self._reply(handler, 503, b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                                      b"<Message>Please reduce your request rate.</Message>"
                                      b"<RequestId>FAULTPROXY503</RequestId></Error>", "application/xml")
            return
        if fault == "ddb_throttle":  # DynamoDB's JSON 1.0 protocol, as AWS answers when a table throttles
            self._reply(handler, 400, json.dumps({
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded."}).encode(),
                "application/x-amz-json-1.0")
            return
        if fault in ("sqs_500", "sts_500"):
            if handler.headers.get("X-Amz-Target"):
                self._reply(handler, 500, json.dumps({"__type": "InternalError",
                                                      "message": "We encountered an internal error. Please try again."}
                                                     ).encode(), "application/x-amz-json-1.0",
                            {"x-amzn-query-error": "InternalError;Receiver"})
            else:
                self._reply(handler, 500, b'<?xml version="1.0"?><ErrorResponse><Error><Type>Receiver</Type>'
                                          b"<Code>InternalError</Code><Message>We encountered an internal error. "
                                          b"Please try again.</Message></Error><RequestId>FAULTPROXY500</RequestId>"
                                          b"</ErrorResponse>", "text/xml")
            return
        if service == "dynamodb":  # see _ddb_atomic
            with self._ddb_atomic:
                status, reason, headers, data = self._forward(handler, body)
        else:
            status, reason, headers, data = self._forward(handler, body)
        if service == "sts" and b"<AssumeRoleResult>" in data:
            text = data.decode("utf-8", "replace")
            issued = {name: m.group(1) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")
                      for m in [re.search(_XML_FIELD.format(name), text)] if m}
            with self._lock:
                self.issued.append(issued)
        if fault == "lost_answer":
            self._drop(handler)
            return
        handler.send_response(status, reason)
        for name, value in headers:
            if name.lower() not in _HOP and name.lower() != "content-length":
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        if fault == "cut_body":
            if status == 200 and len(data) > 64:
                handler.wfile.write(data[: len(data) // 2])
                handler.wfile.flush()
                self._drop(handler)
                return
            with self._lock:  # nothing worth cutting: it does not count, and stays pending
                self.counts["cut_body"] -= 1
                self._pending_kinds.add("cut_body")
        rate = next((bps for match, bps in self._throttles if match in handler.path), 0)
        if rate:
            step = max(1, int(rate / 10))
            for start in range(0, len(data), step):
                handler.wfile.write(data[start:start + step])
                handler.wfile.flush()
                time.sleep(0.1)
            return
        handler.wfile.write(data)

    def _authorized(self, handler) -> bool:
        value = handler.headers.get("Proxy-Authorization", "")
        decoded = ""
        if value.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(value[6:]).decode("utf-8")
            except ValueError:
                decoded = ""
        with self._lock:
            if decoded:
                self.auth.append(decoded)
        if decoded == "%s:%s" % self.credentials:
            return True
        with self._lock:
            self.refused_auth += 1
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        self._reply(handler, 407, b"proxy authentication required", "text/plain",
                    {"Proxy-Authenticate": 'Basic realm="fault-proxy"'})
        return False

    @staticmethod
    def _forward(handler, body: bytes):
        target = urlsplit(handler.path)
        conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=120)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
            path = (target.path or "/") + ("?" + target.query if target.query else "")
            conn.request(handler.command, path, body=body if body or handler.command in ("POST", "PUT") else None,
                         headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, response.reason, response.getheaders(), data
        finally:
            conn.close()

    @staticmethod
    def _drop(handler) -> None:
        handler.close_connection = True
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    @staticmethod
    def _reply(handler, status: int, body: bytes, content_type: str, extra: Optional[Dict[str, str]] = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
