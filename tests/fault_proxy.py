"""A fault-injecting HTTP forward proxy on 127.0.0.1, for tests only.

The input reaches moto server (plain HTTP) through it, so every AWS request arrives in
absolute form (``POST http://127.0.0.1:<moto>/... HTTP/1.1``). With a seeded random
generator it answers a share of requests itself, the way AWS misbehaves:

- S3 calls: ``503 SlowDown`` (S3's XML error body);
- SQS calls (JSON protocol, ``X-Amz-Target: AmazonSQS.*``): ``500 InternalError`` (JSON);
- any call: the connection dropped before the answer;
- S3 GetObject: the answer cut mid-body (headers promise more than is sent).

Everything else is forwarded unchanged. ``counts`` says what was injected.
"""

from __future__ import annotations

import http.client
import random
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["FaultProxy"]

_HOP = {"connection", "proxy-connection", "keep-alive", "proxy-authorization", "te", "trailers",
        "transfer-encoding", "upgrade"}


class FaultProxy:
    def __init__(self, rate: float = 0.15, seed: int = 7, max_faults: int = 200):
        self.rate, self.max_faults = rate, max_faults
        self.random = random.Random(seed)
        self.counts: Counter = Counter()
        self.auth_headers: list = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy._handle(self)

            do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _pick(self, handler) -> str:
        with self._lock:
            if sum(self.counts.values()) >= self.max_faults or self.random.random() >= self.rate:
                return ""
            sqs = handler.headers.get("X-Amz-Target", "").startswith("AmazonSQS")
            getobject = handler.command == "GET" and not sqs
            choices = ["sqs_500", "drop"] if sqs else (["s3_503", "drop", "cut_body"] if getobject else ["s3_503", "drop"])
            fault = self.random.choice(choices)
            if "sts" in handler.headers.get("Authorization", "") or "Action=AssumeRole" in handler.path:
                return ""
            self.counts[fault] += 1
            return fault

    def _handle(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if handler.headers.get("Proxy-Authorization"):
            self.auth_headers.append(handler.headers["Proxy-Authorization"])
        fault = self._pick(handler)
        if fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "s3_503":
            self._reply(handler, 503, b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
                                      b"<Message>Please reduce your request rate.</Message></Error>", "application/xml")
            return
        if fault == "sqs_500":
            self._reply(handler, 500, b'{"__type":"InternalError","message":"We encountered an internal error."}',
                        "application/x-amz-json-1.0")
            return
        target = urlsplit(handler.path)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        path = target.path + ("?" + target.query if target.query else "")
        conn.request(handler.command, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        handler.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in _HOP and key.lower() != "content-length":
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if fault == "cut_body" and len(data) > 1000:
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "cut_body":
            self.counts["cut_body"] -= 1
        if handler.command != "HEAD":
            handler.wfile.write(data)

    @staticmethod
    def _reply(handler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
