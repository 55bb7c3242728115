"""A stand-in for the part of Splunk Web that the add-on's pages use (tests only).

Splunk Web cannot run here. The add-on's Configuration and Inputs pages are UCC's React
bundle in the BUILT app; this server gives it what Splunk Web gives it, so that a real
browser loads the pages as an admin would:

* ``GET /en-US/app/TA_sqs_s3_audit/<view>`` for a view whose XML uses the app's
  template (``default/data/ui/views/<view>.xml``: ``template="TA_sqs_s3_audit:/templates/base.html"``):
  the built ``appserver/templates/base.html`` itself.
* ``GET /en-US/config?autoload=1``: ``window.$C = {...}``, the keys Splunk Web sets and
  ``@splunk/splunk-utils/config`` reads (``LOCALE``, ``MRSPARKLE_ROOT_PATH``,
  ``MRSPARKLE_PORT_NUMBER``, ``SPLUNKD_PATH``, ``BUILD_NUMBER``, ``USERNAME``, ...), and
  the ``splunkweb_csrf_token_<port>`` cookie the bundle echoes in ``X-Splunk-Form-Key``.
* ``GET /en-US/static/@<build>/js/i18n.js`` and ``/en-US/i18ncatalog?autoload=1``:
  English, no translation (``window.gettext`` returns the text).
* ``GET /en-US/static/@<build>/app/TA_sqs_s3_audit/<path>``: the built
  ``appserver/static/<path>`` (the bundle and its globalConfig.json).
* ``/en-US/splunkd/__raw/servicesNS/<owner>/<app>/TA_sqs_s3_audit_<endpoint>[/<name>]``:
  the BUILT REST handler ``bin/TA_sqs_s3_audit_rh_<endpoint>.py`` run as splunkd runs it
  (``__main__``, with splunkd's ``splunk`` package stood in by ``tests/splunkd_python``,
  the same path as ``tests/e2e/test_save_handlers.py``), storing through the splunkd
  stand-in (``scripts/splunkd_standin/``: conf stanzas and storage/passwords).
  GET lists, POST without a name creates (``name`` in the body), POST with a name edits,
  DELETE removes. A refusal (``admin.ArgValidationException``) is answered 400 with
  splunkd's ``{"messages": [{"type": "ERROR", "text": ...}]}``; any other exception in
  the handler (splunktaucclib's ``RestError`` from a field validator) 500 with the text
  splunkd writes for an unexpected handler error, which UCC's bundle unpacks.
* ``/en-US/splunkd/__raw/servicesNS/<owner>/<app>/data/indexes``: a fixed list of
  indexes (splunkd's own endpoint, not the add-on's).

Every POST and DELETE must carry the CSRF form key, as Splunk Web requires.
Binds to 127.0.0.1 only; not a security boundary.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

from splunkweb_assets import CATALOG_JS, GET_THEME_JS, I18N_JS, LAYOUT_JS, content_type

APP = "TA_sqs_s3_audit"
LOCALE = "en-US"
BUILD = "1796285122"
SPLUNKD_PATH = f"/{LOCALE}/splunkd/__raw"
INDEXES = ("main", "aws_audit", "summary")
HANDLER_TIMEOUT = 120

_TEMPLATE = re.compile(r'template="' + APP + r':/templates/base\.html"')


class HandlerCall:
    """One request as the splunkd stand-in's ``splunk.admin`` reads it, and its outcome."""

    def __init__(self, endpoint: str, action: str, name: str | None, data: dict, outcome: dict):
        self.endpoint, self.action, self.name, self.data, self.outcome = endpoint, action, name, data, outcome

    def __repr__(self) -> str:
        return f"HandlerCall({self.endpoint} {self.action} {self.name} -> {self.outcome.get('status')})"


class SplunkWebStandIn:
    """Serve the built app's pages and pass its REST calls to its built handlers.

    :param app_dir: the built app (``output/TA_sqs_s3_audit``).
    :param splunk_home: a $SPLUNK_HOME with ``etc/apps/TA_sqs_s3_audit`` (the built app).
    :param splunkd: a started ``SplunkdStandIn``; the handlers store through it.
    :param python: the interpreter splunkd would run the handlers with (3.9 or 3.13).
    :param splunkd_python: the folder with the stand-in ``splunk`` package.
    :param env: extra environment of the handlers (e.g. ``AWS_ENDPOINT_URL`` of moto).
    """

    def __init__(self, app_dir: str, splunk_home: str, splunkd, python: str, splunkd_python: str,
                 env: dict | None = None):
        self.app_dir, self.splunk_home, self.splunkd = app_dir, str(splunk_home), splunkd
        self.python, self.splunkd_python, self.env = python, splunkd_python, dict(env or {})
        self.csrf = secrets.token_hex(16)
        #: every handler call, in order (tests read what the form sent)
        self.calls: list[HandlerCall] = []
        #: the search of each search job the pages started (answered with no results)
        self.searches: list[str] = []
        #: (method, path, status) of every request the browser made
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> str:
        handler = type("_BoundWebHandler", (_WebHandler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="splunkweb-standin", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, view: str) -> str:
        return f"{self.base_url}/{LOCALE}/app/{APP}/{view}"

    # ----------------------------------------------------------------- answers
    def config_js(self) -> str:
        config = {
            "BUILD_NUMBER": int(BUILD), "BUILD_PUSH_NUMBER": 0, "LOCALE": LOCALE, "MRSPARKLE_ROOT_PATH": "",
            "MRSPARKLE_PORT_NUMBER": str(self.port), "SPLUNKD_PATH": SPLUNKD_PATH, "UI_INACTIVITY_TIMEOUT": 60,
            "SERVER_ZONEINFO": "", "USERNAME": "admin", "USER_DISPLAYNAME": "Administrator",
            "USER_EMAIL": "", "APP": APP, "APP_DISPLAYNAME": APP, "VERSION_LABEL": "9.4.0",
            "SPLUNK_UI_THEME": "enterprise", "IS_CLOUD": False, "FORM_KEY": self.csrf,
        }
        return f"window.$C = {json.dumps(config)};\n"

    def view_html(self, view: str) -> bytes | None:
        xml = os.path.join(self.app_dir, "default", "data", "ui", "views", f"{view}.xml")
        if not re.fullmatch(r"[A-Za-z0-9_]+", view) or not os.path.isfile(xml):
            return None
        with open(xml, encoding="utf-8") as handle:
            if not _TEMPLATE.search(handle.read()):
                return None
        with open(os.path.join(self.app_dir, "appserver", "templates", "base.html"), "rb") as handle:
            return handle.read()

    def app_build(self) -> str:
        """``[install] build`` of the built app's app.conf, as ``| rest services/apps/local`` shows it."""
        with open(os.path.join(self.app_dir, "default", "app.conf"), encoding="utf-8") as handle:
            found = re.search(r"^\[install\][^\[]*?^build\s*=\s*(\d+)", handle.read(), re.M | re.S)
        return found.group(1) if found else ""

    def static_file(self, relative: str) -> bytes | None:
        root = os.path.realpath(os.path.join(self.app_dir, "appserver", "static"))
        path = os.path.realpath(os.path.join(root, relative))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return handle.read()

    def call_handler(self, endpoint: str, action: str, name: str | None, data: dict) -> dict:
        """Run ``bin/TA_sqs_s3_audit_rh_<endpoint>.py`` once, as splunkd runs it."""
        script = os.path.join(self.splunk_home, "etc", "apps", APP, "bin", f"{APP}_rh_{endpoint}.py")
        if not os.path.isfile(script):
            return {"status": 404, "error": "NotFound", "message": f"No handler for {endpoint}"}
        environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": self.splunkd_python,
                       "SPLUNK_HOME": self.splunk_home, "SPLUNKD_URI": self.splunkd.base_url,
                       "PYTHONDONTWRITEBYTECODE": "1", "AWS_EC2_METADATA_DISABLED": "true", **self.env}
        request = {"action": action, "id": name, "data": data, "session_key": self.splunkd.session_key}
        result = subprocess.run([self.python, script], input=json.dumps(request), capture_output=True, text=True,
                                timeout=HANDLER_TIMEOUT, env=environment, cwd=self.splunk_home, check=False)
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            outcome = {"status": 500, "error": "HandlerCrashed", "message": result.stderr[-2000:]}
        else:
            outcome = json.loads(lines[-1])
        with self._lock:
            self.calls.append(HandlerCall(endpoint, action, name, data, outcome))
        return outcome

    def handler_calls(self, endpoint: str | None = None, action: str | None = None) -> list[HandlerCall]:
        with self._lock:
            return [c for c in self.calls if (endpoint is None or c.endpoint == endpoint)
                    and (action is None or c.action == action)]


def seed_defaults(splunkd, app_dir: str) -> None:
    """Put the built app's ``default/ta_sqs_s3_audit_*.conf`` stanzas into the splunkd stand-in,
    as splunkd reads an app's default folder (UCC's settings handler expects [logging] and [proxy])."""
    import configparser

    default = os.path.join(app_dir, "default")
    for filename in sorted(os.listdir(default)):
        if not (filename.startswith(APP.lower() + "_") and filename.endswith(".conf")):
            continue
        parser = configparser.RawConfigParser(delimiters=("=",), interpolation=None, strict=False)
        parser.optionxform = str
        parser.read(os.path.join(default, filename), encoding="utf-8")
        for stanza in parser.sections():
            splunkd.add_stanza(filename[:-5], stanza, fields=dict(parser.items(stanza)))


def _feed(base_path: str, entries: dict, owner: str, app: str) -> dict:
    """splunkd's JSON answer (``output_mode=json``) for the handler's entries."""
    acl = {"app": app, "can_change_perms": True, "can_list": True, "can_share_app": True,
           "can_share_global": True, "can_share_user": False, "can_write": True, "modifiable": True,
           "owner": owner, "perms": {"read": ["*"], "write": ["admin"]}, "removable": True, "sharing": "app"}
    items = [{"name": name, "id": f"{base_path}/{quote(name, safe='')}", "author": owner, "acl": acl,
              "links": {"alternate": f"{base_path}/{quote(name, safe='')}"}, "content": content}
             for name, content in entries.items()]
    return {"links": {}, "origin": base_path, "generator": {"version": "9.4.0"}, "entry": items,
            "paging": {"total": len(items), "perPage": len(items), "offset": 0}, "messages": []}


def _error(status: int, text: str) -> tuple[int, dict]:
    return status, {"messages": [{"type": "ERROR", "text": text}]}


def _splunkd_answer(outcome: dict, base_path: str, owner: str, app: str, created: bool) -> tuple[int, dict]:
    status = outcome.get("status")
    if status == 200:
        return (201 if created else 200), _feed(base_path, outcome.get("entries", {}), owner, app)
    if status == 400:
        return _error(400, outcome.get("message", ""))
    if status == 404:
        return _error(404, outcome.get("message", "Not Found"))
    # splunkd's text for an exception other than an admin one leaving a python handler
    return _error(500, f'Unexpected error "<class \'{outcome.get("error")}\'>" from python handler: '
                       f'"{outcome.get("message", "")}". See splunkd.log/python.log for more details.')


class _WebHandler(BaseHTTPRequestHandler):
    standin: SplunkWebStandIn
    protocol_version = "HTTP/1.1"
    server_version = "Splunk Web stand-in"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")

    def _send(self, status: int, body: bytes, ctype: str, cookie: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(body)
        with self.standin._lock:
            self.standin.requests.append((self.command, self.path, status))

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), "application/json; charset=UTF-8")

    def _serve(self, method: str) -> None:
        standin = self.standin
        split = urlsplit(self.path)
        path = split.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        prefix = f"/{LOCALE}"
        if method == "GET" and path.startswith(f"{prefix}/app/{APP}/"):
            html = standin.view_html(path[len(f"{prefix}/app/{APP}/"):].strip("/"))
            if html is None:
                return self._send(404, b"Page not found", "text/plain")
            return self._send(200, html, "text/html; charset=UTF-8")
        if method == "GET" and path == f"{prefix}/config":
            cookie = f"splunkweb_csrf_token_{standin.port}={standin.csrf}; Path=/"
            return self._send(200, standin.config_js().encode(), "application/javascript", cookie)
        if method == "GET" and path == f"{prefix}/i18ncatalog":
            return self._send(200, CATALOG_JS.encode(), "application/javascript")
        static = re.fullmatch(prefix + r"/static/@[^/]+/(.*)", path)
        if method == "GET" and static:
            rest = static.group(1)
            if rest == "js/i18n.js":
                return self._send(200, I18N_JS.encode(), "application/javascript")
            if rest == "build/api/get_theme.js":
                return self._send(200, GET_THEME_JS.encode(), "application/javascript")
            if rest in ("build/api/layout.js", "build/api/layout-dark.js"):
                nav = json.dumps([[standin.page_url(v), label] for v, label in (("inputs", "Inputs"),
                                                                                 ("configuration", "Configuration"))])
                return self._send(200, LAYOUT_JS.replace("NAV", nav).encode(), "application/javascript")
            if rest.startswith(f"app/{APP}/"):
                data = standin.static_file(rest[len(f"app/{APP}/"):])
                if data is not None:
                    return self._send(200, data, content_type(rest))
            return self._send(404, b"Not found", "text/plain")
        job = re.fullmatch(SPLUNKD_PATH + r"/services/search/(?:v2/)?jobs(?:/([^/]+))?(?:/([^/]+))?", path)
        if job:
            query = parse_qs(split.query, keep_blank_values=True)
            sid = job.group(1) or query.get("id", [""])[-1]
            return self._search_job(method, sid, job.group(2) or "", parse_qs(body, keep_blank_values=True))
        rest_call = re.fullmatch(SPLUNKD_PATH + r"/servicesNS/([^/]+)/([^/]+)/(.+)", path)
        if rest_call:
            if method != "GET" and self.headers.get("X-Splunk-Form-Key") != standin.csrf:
                return self._json(*_error(401, "Splunk Web: missing or wrong X-Splunk-Form-Key (CSRF)"))
            return self._rest(method, *rest_call.groups(), body=parse_qs(body, keep_blank_values=True))
        if method == "GET" and path == "/favicon.ico":
            return self._send(204, b"", "image/x-icon")
        return self._send(404, b"Not found", "text/plain")

    def _search_job(self, method, sid, part, form) -> None:
        """splunkd's search/jobs, enough for the one search the pages run: the app's build number
        (``| rest services/apps/local/<app> ... | fields build``, for the footer). Any other
        search finds nothing (no search head here)."""
        standin = self.standin
        if method == "POST" and not sid:
            with standin._lock:
                standin.searches.append(form.get("search", [""])[-1])
                sid = f"standin_{len(standin.searches)}"
            return self._json(201, {"sid": sid})
        if method == "GET" and not part:
            content = {"sid": sid, "dispatchState": "DONE", "isDone": True, "isFailed": False, "isFinalized": False,
                       "doneProgress": 1, "resultCount": 1, "resultPreviewCount": 1, "eventCount": 0,
                       "messages": []}
            return self._json(200, {"entry": [{"name": sid, "content": content}], "messages": []})
        if method == "GET" and part in ("results", "results_preview"):
            results = []
            search = standin.searches[int(sid.rpartition("_")[2]) - 1] if sid.startswith("standin_") else ""
            if re.match(rf"\|\s*rest\s+/?services/apps/local/{APP}\b.*\|\s*fields\s+build\s*$", search):
                results = [{"build": standin.app_build()}]
            return self._json(200, {"preview": part == "results_preview", "init_offset": 0, "messages": [],
                                    "fields": [{"name": "build"}] if results else [], "results": results})
        return self._json(200, {"messages": []})

    def _rest(self, method, owner, app, endpoint_path, body) -> None:
        segments = [unquote(s) for s in endpoint_path.strip("/").split("/")]
        base_path = f"/servicesNS/{owner}/{app}/{'/'.join(quote(s, safe='') for s in segments[:1])}"
        if segments[:2] == ["data", "indexes"] and method == "GET":
            entries = {name: {"disabled": False, "isInternal": False, "datatype": "event"} for name in INDEXES}
            return self._json(200, _feed(f"/servicesNS/{owner}/{app}/data/indexes", entries, owner, app))
        handler_prefix = f"{APP}_"
        if not segments[0].startswith(handler_prefix) or len(segments) > 2:
            return self._json(*_error(404, f"Not Found: {endpoint_path}"))
        endpoint = segments[0][len(handler_prefix):]
        name = segments[1] if len(segments) == 2 else None
        form = {k: v[-1] for k, v in body.items()}
        if method == "GET":
            outcome = self.standin.call_handler(endpoint, "list", name, {})
            return self._json(*_splunkd_answer(outcome, base_path, owner, app, created=False))
        if method == "DELETE" and name:
            outcome = self.standin.call_handler(endpoint, "remove", name, {})
            return self._json(*_splunkd_answer(outcome, base_path, owner, app, created=False))
        if method == "POST":
            form.pop("output_mode", None)
            if name is None:
                name = form.pop("name", "")
                outcome = self.standin.call_handler(endpoint, "create", name, form)
                return self._json(*_splunkd_answer(outcome, base_path, owner, app, created=True))
            outcome = self.standin.call_handler(endpoint, "edit", name, form)
            return self._json(*_splunkd_answer(outcome, base_path, owner, app, created=False))
        return self._json(*_error(405, f"Method {method} not allowed"))
