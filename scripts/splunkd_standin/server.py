"""The splunkd stand-in as a server: :class:`SplunkdStandIn` (threaded HTTP on 127.0.0.1), its request
handler, and the command line (``python -m splunkd_standin``, with scripts/ on sys.path).

Every request must carry ``Authorization: Splunk <session key>``; otherwise the
answer is splunkd's 401 ``call not properly authenticated``. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .feeds import DEFAULT_COUNT, RestError, atom_feed, error_body, first_param, json_feed, paginate
from .routes import Endpoints, parse_path
from .store import DEFAULT_APP, DEFAULT_SESSION_KEY, ConfStore, load_seed


class SplunkdStandIn(ConfStore):
    """An in-process, threaded HTTP stand-in for splunkd's config REST API.

    The stanzas and credentials are a :class:`store.ConfStore` (``add_stanza``,
    ``set_credential``, ``stanza``, ``password_entries``, ...); requests go to
    :class:`routes.Endpoints`.

    :param session_key: the only session key accepted (``Authorization: Splunk <key>``).
    :param app: the app that owns stanzas and credentials added without ``app=``.
    :param host: address to bind; keep the default 127.0.0.1.
    :param port: 0 picks a free port.
    :param default_app: the app context of ``/services/...`` (no namespace), as
        the user's default app would be in splunkd.
    """

    def __init__(
        self,
        session_key: str = DEFAULT_SESSION_KEY,
        app: str = DEFAULT_APP,
        host: str = "127.0.0.1",
        port: int = 0,
        default_app: str = "search",
    ):
        super().__init__(app=app)
        self.session_key = session_key
        self.host = host
        self.port = port
        self.endpoints = Endpoints(self, default_app=default_app)
        #: (method, path) of each request, path as sent (percent-encoded, no query).
        self.requests: list[tuple[str, str]] = []
        #: dicts with method, path, query (dict of lists) and status of each request.
        self.request_log: list[dict] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def default_app(self) -> str:
        return self.endpoints.default_app

    def handle(self, method: str, ns: tuple[str, str] | None, segments: list[str], params: dict) -> tuple[int, str, list, dict]:
        """Return (status, feed title, entries, extra) or raise feeds.RestError."""
        return self.endpoints.handle(method, ns, segments, params)

    def start(self) -> str:
        """Start serving in a background thread; returns the base URL."""
        if self._server is not None:
            return self.base_url
        handler = type("_BoundHandler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="splunkd-standin", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> SplunkdStandIn:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    standin: SplunkdStandIn  # set on the bound subclass
    protocol_version = "HTTP/1.1"
    server_version = "Splunkd"
    sys_version = ""
    verbose = False

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.verbose:
            sys.stderr.write("%s - - [%s] %s\n" % (self.address_string(), self.log_date_time_string(), fmt % args))

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")

    def do_PUT(self):
        self._serve("PUT")  # splunkd's EAI endpoints take GET, POST and DELETE: 405

    def _serve(self, method: str) -> None:
        standin = self.standin
        split = urlsplit(self.path)
        raw_path = split.path
        params = parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if body and method in ("POST", "DELETE"):
            ctype = (self.headers.get("Content-Type") or "application/x-www-form-urlencoded").lower()
            if "json" not in ctype:
                for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                    params.setdefault(key, []).extend(values)
        as_json = (first_param(params, "output_mode") or "").lower() == "json"
        entry = {"method": method, "path": raw_path, "query": parse_qs(split.query, keep_blank_values=True), "status": None,
                 # solnlib's requests path says "solnlib/<version> rest-client ...",
                 # splunklib's http.client fallback "splunk-sdk-python/<version>"
                 "user_agent": self.headers.get("User-Agent") or ""}
        with standin.lock:
            standin.requests.append((method, raw_path))
            standin.request_log.append(entry)

        auth = self.headers.get("Authorization") or ""
        if auth != f"Splunk {standin.session_key}":
            entry["status"] = 401
            self._send(401, error_body("call not properly authenticated", "WARN", as_json), as_json)
            return
        try:
            ns, segments = parse_path(raw_path)
            status, title, entries, extra = standin.handle(method, ns, segments, params)
            paged = extra.get("paginate", False)
            if paged:
                entries, total, offset, count = paginate(entries, params)
            else:
                total, offset, count = len(entries), 0, DEFAULT_COUNT
            path_for_links = raw_path.rstrip("/")
            page = {"ns": ns, "total": total, "offset": offset, "count": count, "with_paging": paged}
            if as_json:
                text = json_feed(standin.base_url, path_for_links, entries, **page)
            else:
                text = atom_feed(standin.base_url, path_for_links, title, entries, **page)
        except RestError as err:
            entry["status"] = err.status
            self._send(err.status, error_body(err.text, err.msg_type, as_json), as_json)
            return
        except Exception as exc:  # noqa: BLE001 - keep the server alive; answer like splunkd would
            entry["status"] = 500
            self._send(500, error_body(f"Internal error: {type(exc).__name__}", "ERROR", as_json), as_json)
            return
        entry["status"] = status
        self._send(status, text, as_json)

    def _send(self, status: int, text: str, as_json: bool) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8" if as_json else "text/xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0")
        self.send_header("X-Content-Type-Options", "nosniff")
        # Answer 'Connection: close' in kind, as splunkd does: splunklib's own
        # (non-requests) handler reads the body only from a connection it was
        # told will close.
        wants_close = (self.headers.get("Connection") or "").lower() == "close" or self.request_version == "HTTP/1.0"
        if wants_close:
            self.close_connection = True
        self.send_header("Connection", "Close" if wants_close else "Keep-Alive")
        self.end_headers()
        self.wfile.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="splunkd_standin", description="Serve a stand-in for splunkd's config REST API on 127.0.0.1.")
    parser.add_argument("--seed", help="JSON file: {conf: {stanza: {fields: {...}, encrypted: {...}}}}")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: a free one)")
    parser.add_argument("--session-key", default=DEFAULT_SESSION_KEY, help="the session key to accept")
    parser.add_argument("--app", default=DEFAULT_APP, help="the app that owns the seeded stanzas")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)

    standin = SplunkdStandIn(session_key=args.session_key, app=args.app, port=args.port)
    if args.seed:
        with open(args.seed, encoding="utf-8") as fh:
            load_seed(standin, json.load(fh))
    _Handler.verbose = args.verbose

    stop = threading.Event()

    def _on_signal(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(standin.start(), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        standin.stop()
    return 0
