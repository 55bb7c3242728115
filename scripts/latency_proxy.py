"""A latency-adding HTTP forwarder on 127.0.0.1, for the bench: real S3 and SQS answer in
tens of milliseconds, moto on loopback in microseconds.

Clients use it as their endpoint (``s3_endpoint_url``/``sqs_endpoint_url`` or
``AWS_ENDPOINT_URL``): every request is held ``delay_ms`` milliseconds, then forwarded
unchanged to the upstream (moto server) over a kept-alive connection, and the answer is
streamed back. One thread per client connection, one upstream connection per client
connection, so N client connections are N requests in flight.

Two details decide whether the added latency is the only one:

- ``TCP_NODELAY`` on both sockets, and the status line, headers and the first piece of
  the body written with ONE ``sendall``: a small header packet followed by a separate body
  write meets the client's delayed ACK (Nagle), a ~40 ms stall on every answer;
- the upstream connection is kept alive (no new TCP handshake per request).

    python3 scripts/latency_proxy.py --upstream http://127.0.0.1:5000 --delay-ms 50
    # prints "port <n>" once listening; SIGTERM stops it

or in-process: ``with LatencyProxy(upstream, delay_ms=50) as proxy: proxy.endpoint``.
"""

from __future__ import annotations

import argparse
import http.client
import signal
import socket
import socketserver
import sys
import threading
import time
from typing import Optional
from urllib.parse import urlsplit

__all__ = ["LatencyProxy"]

_HOP = {"connection", "proxy-connection", "keep-alive", "te", "trailers", "transfer-encoding", "upgrade"}
_PIECE = 256 << 10  # answer bytes forwarded per write


class _Handler(socketserver.StreamRequestHandler):
    """Reads HTTP/1.1 requests off one client connection and forwards them one by one."""

    rbufsize = 1 << 16
    proxy: "LatencyProxy"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.upstream: Optional[http.client.HTTPConnection] = None

    def finish(self) -> None:
        if self.upstream is not None:
            self.upstream.close()
        super().finish()

    def handle(self) -> None:
        while True:
            try:
                if not self._one():
                    return
            except (OSError, http.client.HTTPException):
                return

    def _upstream(self) -> http.client.HTTPConnection:
        if self.upstream is None:
            conn = http.client.HTTPConnection(self.proxy.host, self.proxy.port, timeout=120)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.upstream = conn
        return self.upstream

    def _one(self) -> bool:
        line = self.rfile.readline(65537)
        if not line:
            return False
        method, target, _version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        headers = []
        length = 0
        close = False
        while True:
            raw = self.rfile.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            name, value = name.strip(), value.strip()
            lower = name.lower()
            if lower == "content-length":
                length = int(value)
            elif lower == "transfer-encoding":
                self._answer(501, b"chunked requests are not forwarded by this bench proxy")
                return False
            elif lower == "connection" and value.lower() == "close":
                close = True
            elif lower == "expect" and value.lower() == "100-continue":
                self.connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                continue
            if lower not in _HOP:
                headers.append((name, value))
        body = self.rfile.read(length) if length else b""
        if target.startswith("http://") or target.startswith("https://"):
            parts = urlsplit(target)
            target = parts.path + ("?" + parts.query if parts.query else "")
        self.proxy.count(target)
        if self.proxy.delay:
            time.sleep(self.proxy.delay)
        conn = self._upstream()
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body or method in ("POST", "PUT"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        response = conn.getresponse()
        self._relay(method, response)
        if response.will_close:
            conn.close()
            self.upstream = None
        return not close

    def _relay(self, method: str, response: http.client.HTTPResponse) -> None:
        head = [f"HTTP/1.1 {response.status} {response.reason}\r\n"]
        length = response.getheader("Content-Length")
        for name, value in response.getheaders():
            if name.lower() not in _HOP:
                head.append(f"{name}: {value}\r\n")
        chunked = length is None and method != "HEAD" and response.status not in (204, 304)
        if chunked:
            head.append("Transfer-Encoding: chunked\r\n")
        head.append("\r\n")
        first = response.read(_PIECE) if method != "HEAD" else b""
        out = "".join(head).encode("latin-1")
        send = self.connection.sendall
        if chunked:
            while first:
                send(out + b"%x\r\n%s\r\n" % (len(first), first))
                out = b""
                first = response.read(_PIECE)
            send(out + b"0\r\n\r\n")
            return
        send(out + first)  # status, headers and the first piece in one packet train
        while True:
            piece = response.read(_PIECE)
            if not piece:
                return
            send(piece)

    def _answer(self, status: int, text: bytes) -> None:
        self.connection.sendall(b"HTTP/1.1 %d Error\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                                % (status, len(text), text))


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class LatencyProxy:
    """Forwards to ``upstream`` (``http://host:port``) after ``delay_ms`` per request."""

    def __init__(self, upstream: str, delay_ms: float = 0.0, port: int = 0):
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname, parts.port or 80
        self.delay = delay_ms / 1000.0
        self.requests = 0
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"proxy": self})
        self.server = _Server(("127.0.0.1", port), handler)
        self.listen_port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.listen_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="latency-proxy", daemon=True)

    def count(self, _target: str) -> None:
        with self._lock:
            self.requests += 1

    def start(self) -> "LatencyProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "LatencyProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description="latency-adding HTTP forwarder (bench)")
    parser.add_argument("--upstream", required=True, help="http://host:port of the server to forward to")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="milliseconds added to every request")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    args = parser.parse_args()
    proxy = LatencyProxy(args.upstream, args.delay_ms, args.port)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    proxy.start()
    print(f"port {proxy.listen_port}", flush=True)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
