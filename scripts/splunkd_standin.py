#!/usr/bin/env python3
"""A small stand-in for splunkd's management REST API, for tests and demos.

Splunk cannot run here, so the add-on's code that reads its configuration the
way solnlib's ``ConfManager`` does is tested against this server over real HTTP.
It answers the requests solnlib 8.x and splunklib 2.1.1 make, in the formats
splunkd documents (Atom XML by default, JSON with ``output_mode=json``):

* ``GET  /services[NS/<owner>/<app>]/properties[/<conf>[/<stanza>]]``
  (solnlib's ``ConfManager.get_conf`` checks here that a conf file exists;
  404 when it does not)
* ``GET  .../configs/conf-<conf>`` (list; ``count``, ``offset``, ``search``,
  ``sort_key``, ``sort_dir``), ``GET .../configs/conf-<conf>/<stanza>``
  (404 with splunkd's ``<response><messages><msg type="ERROR">`` body when the
  stanza is missing), ``POST`` to create or update a stanza, ``DELETE``.
  Stanza names are URL-encoded path segments (``sqs_s3_audit%3A%2F%2Fname``).
* ``GET  .../storage/passwords`` (list with ``count``/``search``),
  ``GET``/``POST``/``DELETE .../storage/passwords/<realm>:<username>:``,
  ``POST .../storage/passwords`` (``name``, ``password``, ``realm``).
* ``.../data/inputs/<kind>[/<name>[/disable|/enable]]``: the ``[<kind>://<name>]``
  stanzas of ``inputs.conf``, as the UCC input handler (splunktaucclib's
  ``DataInputModel``) lists, creates, updates, disables and enables them.

Every request must carry ``Authorization: Splunk <session key>``; otherwise the
answer is splunkd's 401 ``call not properly authenticated``.

Secrets are stored the UCC way by :meth:`SplunkdStandIn.add_stanza`: the conf
entry holds ``******`` for every non-empty encrypted field and storage/passwords
holds, under realm ``__REST_CREDENTIAL__#<app>#configs/conf-<conf>`` and a
username derived from the stanza name, one JSON object of those fields, cut into
255-character pieces named ``<stanza>``splunk_cred_sep``<n>`` and closed by an
end-mark entry, exactly as solnlib's ``CredentialManager.set_password`` writes
them.

Python use::

    with SplunkdStandIn(session_key="k", app="TA_sqs_s3_audit") as splunkd:
        splunkd.add_stanza("ta_sqs_s3_audit_account", "prod",
                           {"aws_access_key_id": "AKIA..."},
                           encrypted={"aws_secret_access_key": "..."})
        base_url = splunkd.base_url          # http://127.0.0.1:<port>
        ...
        assert ("GET", "/servicesNS/nobody/TA_sqs_s3_audit/storage/passwords") in splunkd.requests

Command line (serves until SIGTERM or SIGINT; first stdout line is the base URL)::

    python scripts/splunkd_standin.py --seed seed.json [--port N] [--session-key K]

with ``seed.json`` = ``{"<conf name>": {"<stanza>": {"fields": {...}, "encrypted": {...}}}}``.

Standard library only. Not a security boundary: it binds to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_attr

__all__ = [
    "CRED_END_MARK",
    "CRED_LEN_LIMIT",
    "CRED_SEP",
    "DEFAULT_SESSION_KEY",
    "ENCRYPTED_TOKEN",
    "SplunkdStandIn",
    "credential_chunks",
    "ucc_realm",
]

DEFAULT_SESSION_KEY = "standin-session-key"
DEFAULT_APP = "TA_sqs_s3_audit"
SPLUNK_VERSION = "9.4.0"

# solnlib's conventions (solnlib/credentials.py and conf_manager.py, 8.x).
ENCRYPTED_TOKEN = "******"
CRED_LEN_LIMIT = 255
CRED_SEP = "``splunk_cred_sep``"
CRED_END_MARK = (
    "``splunk_cred_sep``S``splunk_cred_sep``P``splunk_cred_sep``L``splunk_cred_sep``"
    "U``splunk_cred_sep``N``splunk_cred_sep``K``splunk_cred_sep``"
)

_ATOM_NS = (
    'xmlns="http://www.w3.org/2005/Atom" xmlns:s="http://dev.splunk.com/ns/rest" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
)
_DEFAULT_COUNT = 30


def ucc_realm(app: str, conf_name: str) -> str:
    """The storage/passwords realm UCC uses for a conf file's encrypted fields."""
    return f"__REST_CREDENTIAL__#{app}#configs/conf-{conf_name}"


def credential_chunks(username: str, clear_password: str) -> list[tuple[str, str]]:
    """(username, piece) pairs as solnlib's CredentialManager.set_password stores them."""
    pieces = []
    index = 1
    for start in range(0, len(clear_password), CRED_LEN_LIMIT):
        pieces.append((f"{username}{CRED_SEP}{index}", clear_password[start : start + CRED_LEN_LIMIT]))
        index += 1
    pieces.append((f"{username}{CRED_SEP}{index}", CRED_END_MARK))
    return pieces


def _conf_key(conf_name: str) -> str:
    """Accept 'x', 'x.conf' and 'conf-x' for the conf file named x."""
    name = conf_name
    if name.startswith("conf-"):
        name = name[len("conf-") :]
    if name.endswith(".conf"):
        name = name[: -len(".conf")]
    if not name:
        raise ValueError(f"bad conf name {conf_name!r}")
    return name


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def _escape_colons(text: str) -> str:
    return text.replace(":", "\\:")


def _password_title(realm: str, username: str) -> str:
    # splunkd names a credential <realm>:<username>: with ':' inside escaped.
    return f"{_escape_colons(realm)}:{_escape_colons(username)}:"


def _split_password_id(name: str) -> list[str]:
    """Split '<realm>:<user>:' on unescaped colons, unescaping '\\:'."""
    parts, cur, i = [], "", 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name) and name[i + 1] == ":":
            cur += ":"
            i += 2
            continue
        if ch == ":":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    if cur:
        parts.append(cur)
    return parts


class _Error(Exception):
    def __init__(self, status: int, text: str, msg_type: str = "ERROR"):
        super().__init__(text)
        self.status = status
        self.text = text
        self.msg_type = msg_type


class _Entry:
    """One REST entity: title, path segments under the namespace, acl, content."""

    def __init__(self, title: str, segments: list[str], acl: dict, content: dict, author: str = "nobody"):
        self.title = title
        self.segments = segments
        self.acl = acl
        self.content = content
        self.author = author


def _acl(app: str, owner: str, sharing: str, removable: bool = False) -> dict:
    return {
        "app": app,
        "can_change_perms": "1",
        "can_list": "1",
        "can_share_app": "1",
        "can_share_global": "1",
        "can_share_user": "0",
        "can_write": "1",
        "modifiable": "1",
        "owner": owner,
        "perms": {"read": ["*"], "write": ["admin", "sc_admin"]},
        "removable": "1" if removable else "0",
        "sharing": sharing,
    }


class _Record:
    """A stored stanza or credential with its namespace."""

    def __init__(self, values: dict, app: str, owner: str, sharing: str):
        self.values = values
        self.app = app
        self.owner = owner
        self.sharing = sharing


class SplunkdStandIn:
    """An in-process, threaded HTTP stand-in for splunkd's config REST API.

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
        self.session_key = session_key
        self.app = app
        self.host = host
        self.port = port
        self.default_app = default_app
        #: (method, path) of each request, path as sent (percent-encoded, no query).
        self.requests: list[tuple[str, str]] = []
        #: dicts with method, path, query (dict of lists) and status of each request.
        self.request_log: list[dict] = []
        self._lock = threading.RLock()
        self._confs: dict[str, dict[str, _Record]] = {}
        self._passwords: dict[tuple[str, str], _Record] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ state
    def add_conf(self, conf_name: str) -> None:
        """Make a conf file exist (with no stanzas), as an empty file would."""
        with self._lock:
            self._confs.setdefault(_conf_key(conf_name), {})

    def add_stanza(
        self,
        conf_name: str,
        stanza: str,
        fields: dict | None = None,
        encrypted: dict | None = None,
        app: str | None = None,
        sharing: str = "global",
        owner: str = "nobody",
    ) -> None:
        """Add (or replace) a stanza; ``encrypted`` fields are stored the UCC way.

        Non-empty encrypted values become ``******`` in the conf and go, as one
        JSON object, into storage/passwords (chunked as solnlib does); empty ones
        stay empty in the conf and are not stored, as UCC's REST handler does.
        ``sharing`` defaults to ``global`` because a UCC app's default.meta exports
        its objects (``export = system``).
        """
        conf = _conf_key(conf_name)
        app = app or self.app
        values = {k: "" if v is None else str(v) for k, v in (fields or {}).items()}
        secrets = {}
        for key, value in (encrypted or {}).items():
            value = "" if value is None else str(value)
            if value:
                secrets[key] = value
                values[key] = ENCRYPTED_TOKEN
            else:
                values[key] = ""
        values.setdefault("disabled", "0")
        with self._lock:
            self._confs.setdefault(conf, {})[stanza] = _Record(values, app, owner, sharing)
            realm = ucc_realm(app, conf)
            self._delete_credentials(realm, stanza)
            if secrets:
                self.set_credential(realm, stanza, json.dumps(secrets), app=app, sharing=sharing, owner=owner)

    def remove_stanza(self, conf_name: str, stanza: str) -> None:
        with self._lock:
            self._confs.get(_conf_key(conf_name), {}).pop(stanza, None)

    def set_credential(
        self,
        realm: str,
        username: str,
        clear_password: str,
        app: str | None = None,
        sharing: str = "global",
        owner: str = "nobody",
    ) -> None:
        """Store a secret chunked as solnlib's CredentialManager.set_password does."""
        with self._lock:
            for user, piece in credential_chunks(username, clear_password):
                self.add_password_entry(realm, user, piece, app=app, sharing=sharing, owner=owner)

    def add_password_entry(
        self,
        realm: str,
        username: str,
        clear_password: str,
        app: str | None = None,
        sharing: str = "global",
        owner: str = "nobody",
    ) -> None:
        """Store one raw storage/passwords entry (no chunking)."""
        with self._lock:
            self._passwords[(realm, username)] = _Record(
                {"realm": realm, "username": username, "clear_password": clear_password},
                app or self.app,
                owner,
                sharing,
            )

    def password_entries(self, realm: str | None = None) -> list[dict]:
        """Raw storage/passwords entries (realm, username, clear_password), sorted."""
        with self._lock:
            rows = [dict(r.values) for (rlm, _), r in self._passwords.items() if realm is None or rlm == realm]
        return sorted(rows, key=lambda r: (r["realm"], r["username"]))

    def stanza(self, conf_name: str, stanza: str) -> dict | None:
        """The stored fields of a stanza (``******`` for encrypted ones), or None."""
        with self._lock:
            rec = self._confs.get(_conf_key(conf_name), {}).get(stanza)
            return None if rec is None else dict(rec.values)

    def _delete_credentials(self, realm: str, username: str) -> None:
        prefix = f"{username}{CRED_SEP}"
        for key in list(self._passwords):
            if key[0] == realm and (key[1] == username or key[1].startswith(prefix)):
                del self._passwords[key]

    # --------------------------------------------------------------- lifecycle
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

    # ------------------------------------------------------------- visibility
    @staticmethod
    def _visible(rec: _Record, owner: str, app: str) -> bool:
        if rec.sharing in ("global", "system"):
            app_ok = True
        else:
            app_ok = app == "-" or rec.app == app
        if rec.sharing == "user":
            owner_ok = owner == "-" or rec.owner == owner
        else:
            owner_ok = True
        return app_ok and owner_ok

    # -------------------------------------------------------------- dispatch
    def handle(self, method: str, ns: tuple[str, str] | None, segments: list[str], params: dict) -> tuple[int, str, list, dict]:
        """Return (status, feed title, entries, extra) or raise _Error."""
        owner, app = ns if ns is not None else ("admin", self.default_app)
        if not segments:
            raise _Error(404, "Not Found")
        head = segments[0]
        with self._lock:
            if head == "properties":
                return self._properties(method, owner, app, segments[1:], params)
            if head == "configs" and len(segments) >= 2 and segments[1].startswith("conf-") and len(segments[1]) > 5:
                return self._configs(method, owner, app, segments[1][5:], segments[2:], params)
            if head == "storage" and len(segments) >= 2 and segments[1] == "passwords":
                return self._storage_passwords(method, owner, app, segments[2:], params)
            if head == "data" and len(segments) >= 3 and segments[1] == "inputs":
                return self._data_inputs(method, owner, app, segments[2], segments[3:], params)
        raise _Error(404, "Not Found")

    # data/inputs/<kind>: the [<kind>://<name>] stanzas of inputs.conf --------
    def _data_inputs(self, method, owner, app, kind, rest, params):
        prefix = f"{kind}://"
        if rest:
            rest = [prefix + rest[0]] + rest[1:]
        elif method == "POST":
            params = dict(params, name=[prefix + (_first(params, "name") or "")])
        status, _, entries, extra = self._configs(method, owner, app, "inputs", rest, params)
        renamed = [
            _Entry(e.title[len(prefix):], ["data", "inputs", kind, e.title[len(prefix):]], e.acl, e.content, e.author)
            for e in entries if e.title.startswith(prefix)
        ]
        return status, kind, renamed, extra

    # properties ---------------------------------------------------------
    def _properties(self, method, owner, app, rest, params):
        ns_app = app if app != "-" else self.app
        if not rest:
            if method == "POST":
                conf = _first(params, "__conf")
                if not conf:
                    raise _Error(400, "Missing argument: __conf")
                existed = conf in self._confs
                self._confs.setdefault(conf, {})
                entries = [self._properties_file_entry(conf, ns_app)]
                return (200 if existed else 201), "properties", entries, {}
            _method(method, "GET")
            entries = [self._properties_file_entry(c, ns_app) for c in sorted(self._confs)]
            return 200, "properties", entries, {}
        conf = rest[0]
        if conf not in self._confs:
            raise _Error(404, f"Could not find object id={conf}")
        stanzas = self._confs[conf]
        if len(rest) == 1:
            _method(method, "GET")
            entries = [
                _Entry(name, ["properties", conf, name], _acl(rec.app, rec.owner, rec.sharing), {})
                for name, rec in sorted(stanzas.items())
                if self._visible(rec, owner, app)
            ]
            return 200, conf, entries, {}
        stanza = rest[1]
        rec = stanzas.get(stanza)
        if rec is None or not self._visible(rec, owner, app):
            raise _Error(404, f"Could not find object id={stanza}")
        _method(method, "GET")
        entries = [
            _Entry(key, ["properties", conf, stanza, key], _acl(rec.app, rec.owner, rec.sharing), {"$text": value})
            for key, value in sorted(rec.values.items())
        ]
        return 200, stanza, entries, {}

    def _properties_file_entry(self, conf, app):
        return _Entry(conf, ["properties", conf], _acl(app, "nobody", "app"), {})

    # configs/conf-<file> ------------------------------------------------
    def _stanza_entry(self, conf, name, rec):
        content = dict(rec.values)
        content["eai:appName"] = rec.app
        content["eai:userName"] = rec.owner
        content["eai:acl"] = _acl(rec.app, rec.owner, rec.sharing, removable=True)
        return _Entry(name, ["configs", f"conf-{conf}", name], content["eai:acl"], content, author=rec.owner)

    def _configs(self, method, owner, app, conf, rest, params):
        title = f"conf-{conf}"
        stanzas = self._confs.get(conf, {})
        if not rest:
            if method == "GET":
                entries = [
                    self._stanza_entry(conf, name, rec)
                    for name, rec in stanzas.items()
                    if self._visible(rec, owner, app)
                ]
                return 200, title, entries, {"paginate": True}
            if method == "POST":
                name = _first(params, "name")
                if not name:
                    raise _Error(400, "Missing argument: name")
                if name in stanzas:
                    raise _Error(409, f"An object with name={name} already exists")
                values = {k: v[-1] for k, v in params.items() if k not in ("name", "output_mode")}
                values.setdefault("disabled", "0")
                target_app = app if app not in (None, "-") else self.app
                rec = _Record(values, target_app, "nobody", "app")
                self._confs.setdefault(conf, {})[name] = rec
                return 201, title, [self._stanza_entry(conf, name, rec)], {}
            raise _Error(405, f"Method {method} not allowed")
        if rest == ["_reload"]:
            return 200, title, [], {}
        if len(rest) >= 2 and rest[-1] in ("disable", "enable") and method == "POST":
            name = "/".join(rest[:-1])
            rec = self._visible_stanza(conf, name, owner, app)
            rec.values["disabled"] = "1" if rest[-1] == "disable" else "0"
            return 200, title, [self._stanza_entry(conf, name, rec)], {}
        # Everything after the endpoint names the entity: splunklib sends an
        # entity's own path with '/' unencoded (e.g. 'sqs_s3_audit%3A//x').
        name = "/".join(rest)
        rec = self._visible_stanza(conf, name, owner, app)
        if method == "GET":
            return 200, title, [self._stanza_entry(conf, name, rec)], {"paginate": True}
        if method == "POST":
            for key, value in params.items():
                if key != "output_mode":
                    rec.values[key] = value[-1]
            return 200, title, [self._stanza_entry(conf, name, rec)], {}
        if method == "DELETE":
            del self._confs[conf][name]
            remaining = [
                self._stanza_entry(conf, n, r) for n, r in self._confs[conf].items() if self._visible(r, owner, app)
            ]
            return 200, title, remaining, {}
        raise _Error(405, f"Method {method} not allowed")

    def _visible_stanza(self, conf, name, owner, app) -> _Record:
        rec = self._confs.get(conf, {}).get(name)
        if rec is None or not self._visible(rec, owner, app):
            raise _Error(404, f"Could not find object id={name}")
        return rec

    # storage/passwords ---------------------------------------------------
    def _password_entry(self, rec):
        realm = rec.values["realm"]
        username = rec.values["username"]
        content = {
            "clear_password": rec.values["clear_password"],
            "eai:acl": _acl(rec.app, rec.owner, rec.sharing, removable=True),
            "encr_password": "$7$" + _fake_cipher(rec.values["clear_password"]),
            "password": "********",
            "realm": realm,
            "username": username,
        }
        title = _password_title(realm, username)
        return _Entry(title, ["storage", "passwords", title], content["eai:acl"], content, author=rec.owner)

    def _find_password(self, ident, owner, app) -> _Record:
        parts = _split_password_id(ident)
        if len(parts) == 1:
            key = ("", parts[0])
        elif len(parts) == 2:
            key = (parts[0], parts[1])
        else:
            key = None
        rec = self._passwords.get(key) if key else None
        if rec is None or not self._visible(rec, owner, app):
            raise _Error(404, f"Could not find object id={ident}")
        return rec

    def _storage_passwords(self, method, owner, app, rest, params):
        title = "passwords"
        if not rest:
            if method == "GET":
                entries = [
                    self._password_entry(rec)
                    for _, rec in sorted(self._passwords.items())
                    if self._visible(rec, owner, app)
                ]
                return 200, title, entries, {"paginate": True}
            if method == "POST":
                name = _first(params, "name")
                password = _first(params, "password")
                if not name or password is None:
                    raise _Error(400, "Missing argument: name" if not name else "Missing argument: password")
                realm = _first(params, "realm") or ""
                if (realm, name) in self._passwords:
                    raise _Error(409, f"An object with name={_password_title(realm, name)} already exists")
                target_app = app if app != "-" else self.app
                rec = _Record({"realm": realm, "username": name, "clear_password": password}, target_app, "nobody", "app")
                self._passwords[(realm, name)] = rec
                return 201, title, [self._password_entry(rec)], {}
            raise _Error(405, f"Method {method} not allowed")
        # The realm of a UCC credential holds '/', which splunklib does not
        # encode in an entity's own path; everything after the endpoint is the id.
        rec = self._find_password("/".join(rest), owner, app)
        if method == "GET":
            return 200, title, [self._password_entry(rec)], {"paginate": True}
        if method == "POST":
            password = _first(params, "password")
            if password is None:
                raise _Error(400, "Missing argument: password")
            rec.values["clear_password"] = password
            return 200, title, [self._password_entry(rec)], {}
        if method == "DELETE":
            del self._passwords[(rec.values["realm"], rec.values["username"])]
            remaining = [self._password_entry(r) for _, r in sorted(self._passwords.items()) if self._visible(r, owner, app)]
            return 200, title, remaining, {}
        raise _Error(405, f"Method {method} not allowed")


def _fake_cipher(text: str) -> str:
    # Not encryption: a stable opaque token standing in for splunkd's $7$ value.
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _first(params: dict, key: str):
    values = params.get(key)
    return values[-1] if values else None


def _method(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise _Error(405, f"Method {method} not allowed")


# ------------------------------------------------------------------ filtering
def _search_terms(search: str) -> list[tuple[str | None, str]]:
    """Split a splunkd 'search' filter into (field or None, value) terms.

    Terms are separated by unescaped whitespace and ANDed; ``field=value``
    restricts a term to one field; ``\\=`` and ``\\ `` escape.
    """
    terms, cur, i = [], "", 0
    field = None
    while i < len(search):
        ch = search[i]
        if ch == "\\" and i + 1 < len(search):
            cur += search[i + 1]
            i += 2
            continue
        if ch.isspace():
            if cur or field is not None:
                terms.append((field, cur))
            cur, field = "", None
        elif ch == "=" and field is None:
            field, cur = cur, ""
        else:
            cur += ch
        i += 1
    if cur or field is not None:
        terms.append((field, cur))
    return terms


def _value_matches(pattern: str, value) -> bool:
    if value is None:
        value = ""
    if isinstance(value, list):
        return any(_value_matches(pattern, v) for v in value)
    if isinstance(value, dict):
        return False
    # splunkd matches case-insensitively and on substrings; '*' is a wildcard.
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.search(regex, str(value), re.IGNORECASE) is not None


def _entry_field(entry: _Entry, field: str):
    if field in ("name", "title"):
        return entry.title
    if field.startswith("eai:acl."):
        return entry.acl.get(field[len("eai:acl.") :])
    return entry.content.get(field)


def _entry_matches(entry: _Entry, terms) -> bool:
    for field, value in terms:
        if field is None:
            candidates = [entry.title] + [v for k, v in entry.content.items() if not isinstance(v, dict)]
            if not any(_value_matches(value, c) for c in candidates):
                return False
        elif not _value_matches(value, _entry_field(entry, field)):
            return False
    return True


def _paginate(entries: list[_Entry], params: dict) -> tuple[list[_Entry], int, int, int]:
    search = _first(params, "search")
    if search:
        terms = _search_terms(search)
        entries = [e for e in entries if _entry_matches(e, terms)]
    sort_key = _first(params, "sort_key") or "name"
    reverse = (_first(params, "sort_dir") or "asc").lower() == "desc"
    entries = sorted(entries, key=lambda e: str(_entry_field(e, sort_key) or ""), reverse=reverse)
    total = len(entries)
    try:
        offset = max(int(_first(params, "offset") or 0), 0)
    except ValueError:
        raise _Error(400, "Argument offset must be an integer") from None
    try:
        count = int(_first(params, "count") if _first(params, "count") not in (None, "") else _DEFAULT_COUNT)
    except ValueError:
        raise _Error(400, "Argument count must be an integer") from None
    page = entries[offset:] if count <= 0 else entries[offset : offset + count]
    return page, total, offset, count


# ------------------------------------------------------------------ rendering
def _ns_prefix(ns: tuple[str, str] | None, rec_app: str | None = None, rec_owner: str | None = None) -> str:
    if ns is None:
        return "/services"
    owner, app = ns
    return f"/servicesNS/{quote(rec_owner or owner, safe='')}/{quote(rec_app or app, safe='')}"


def _entry_href(entry: _Entry, ns) -> str:
    segs = "/".join(quote(s, safe="") for s in entry.segments)
    # Links point at the entity's own namespace, as splunkd's do.
    if ns is None:
        return f"/servicesNS/{quote(entry.acl.get('owner', 'nobody'), safe='')}/{quote(entry.acl.get('app', 'system'), safe='')}/{segs}"
    return f"{_ns_prefix(ns, entry.acl.get('app'), entry.acl.get('owner'))}/{segs}"


def _xml_value(value, indent: str) -> str:
    if isinstance(value, dict):
        inner = "".join(
            f'{indent}  <s:key name={_xml_attr(k)}>{_xml_value(v, indent + "  ")}</s:key>\n' for k, v in sorted(value.items())
        )
        return f"\n{indent}<s:dict>\n{inner}{indent}</s:dict>\n{indent[:-2] if len(indent) >= 2 else ''}"
    if isinstance(value, list):
        inner = "".join(f"{indent}  <s:item>{_xml_escape(str(v))}</s:item>\n" for v in value)
        return f"\n{indent}<s:list>\n{inner}{indent}</s:list>\n{indent[:-2] if len(indent) >= 2 else ''}"
    return _xml_escape("" if value is None else str(value))


def _atom_feed(base: str, path: str, title: str, entries, ns, total, offset, count, with_paging: bool) -> str:
    updated = _now()
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<!--This is to override browser formatting; see server.conf[httpServer] to disable. . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . .-->\n',
        '<?xml-stylesheet type="text/xml" href="/static/atom.xsl"?>\n',
        f"<feed {_ATOM_NS}>\n",
        f"  <title>{_xml_escape(title)}</title>\n",
        f"  <id>{_xml_escape(base + path)}</id>\n",
        f"  <updated>{updated}</updated>\n",
        f'  <generator build="standin" version="{SPLUNK_VERSION}"/>\n',
        "  <author>\n    <name>Splunk</name>\n  </author>\n",
        f'  <link href={_xml_attr(path + "/_new")} rel="create"/>\n',
        f'  <link href={_xml_attr(path + "/_reload")} rel="_reload"/>\n',
        f'  <link href={_xml_attr(path + "/_acl")} rel="_acl"/>\n',
    ]
    if with_paging:
        out.append(f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n")
        out.append(f"  <opensearch:itemsPerPage>{count}</opensearch:itemsPerPage>\n")
        out.append(f"  <opensearch:startIndex>{offset}</opensearch:startIndex>\n")
    out.append("  <s:messages/>\n")
    for entry in entries:
        href = _entry_href(entry, ns)
        out.append("  <entry>\n")
        out.append(f"    <title>{_xml_escape(entry.title)}</title>\n")
        out.append(f"    <id>{_xml_escape(base + href)}</id>\n")
        out.append(f"    <updated>{updated}</updated>\n")
        out.append(f"    <link href={_xml_attr(href)} rel=\"alternate\"/>\n")
        out.append(f"    <author>\n      <name>{_xml_escape(entry.author)}</name>\n    </author>\n")
        out.append(f"    <link href={_xml_attr(href)} rel=\"list\"/>\n")
        out.append(f"    <link href={_xml_attr(href + '/_reload')} rel=\"_reload\"/>\n")
        out.append(f"    <link href={_xml_attr(href)} rel=\"edit\"/>\n")
        if entry.acl.get("removable") == "1":
            out.append(f"    <link href={_xml_attr(href)} rel=\"remove\"/>\n")
        if "$text" in entry.content:
            out.append(f'    <content type="text">{_xml_escape(entry.content["$text"])}</content>\n')
        else:
            out.append('    <content type="text/xml">\n      <s:dict>\n')
            for key, value in sorted(entry.content.items()):
                out.append(f"        <s:key name={_xml_attr(key)}>{_xml_value(value, '          ')}</s:key>\n")
            out.append("      </s:dict>\n    </content>\n")
        out.append("  </entry>\n")
    out.append("</feed>\n")
    return "".join(out)


def _json_scalar(key: str, value):
    if key in ("disabled",) and value in ("0", "1"):
        return value == "1"
    return value


def _json_acl(acl: dict) -> dict:
    out = {}
    for key, value in acl.items():
        if key.startswith("can_") or key in ("modifiable", "removable"):
            out[key] = value == "1"
        else:
            out[key] = value
    return out


def _json_feed(base: str, path: str, entries, ns, total, offset, count, with_paging: bool) -> str:
    updated = _now()
    doc = {
        "links": {"create": path + "/_new", "_reload": path + "/_reload", "_acl": path + "/_acl"},
        "origin": base + path,
        "updated": updated,
        "generator": {"build": "standin", "version": SPLUNK_VERSION},
        "entry": [],
        "paging": {"total": total, "perPage": count, "offset": offset},
        "messages": [],
    }
    if not with_paging:
        doc["paging"] = {"total": len(entries), "perPage": _DEFAULT_COUNT, "offset": 0}
    for entry in entries:
        href = _entry_href(entry, ns)
        links = {"alternate": href, "list": href, "_reload": href + "/_reload", "edit": href}
        if entry.acl.get("removable") == "1":
            links["remove"] = href
        if "$text" in entry.content:
            content = entry.content["$text"]
        else:
            content = {k: (None if k == "eai:acl" else _json_scalar(k, v)) for k, v in sorted(entry.content.items())}
        doc["entry"].append(
            {
                "name": entry.title,
                "id": base + href,
                "updated": updated,
                "links": links,
                "author": entry.author,
                "acl": _json_acl(entry.acl),
                "content": content,
            }
        )
    return json.dumps(doc, indent=2)


def _error_body(status_text: str, msg_type: str, as_json: bool) -> str:
    if as_json:
        return json.dumps({"messages": [{"type": msg_type, "text": status_text}]})
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <messages>\n'
        f'    <msg type="{msg_type}">{_xml_escape(status_text)}</msg>\n'
        "  </messages>\n</response>\n"
    )


# -------------------------------------------------------------------- handler
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
        as_json = (_first(params, "output_mode") or "").lower() == "json"
        entry = {"method": method, "path": raw_path, "query": parse_qs(split.query, keep_blank_values=True), "status": None,
                 # solnlib's requests path says "solnlib/<version> rest-client ...",
                 # splunklib's http.client fallback "splunk-sdk-python/<version>"
                 "user_agent": self.headers.get("User-Agent") or ""}
        with standin._lock:
            standin.requests.append((method, raw_path))
            standin.request_log.append(entry)

        auth = self.headers.get("Authorization") or ""
        if auth != f"Splunk {standin.session_key}":
            entry["status"] = 401
            self._send(401, _error_body("call not properly authenticated", "WARN", as_json), as_json)
            return
        try:
            ns, segments = _parse_path(raw_path)
            status, title, entries, extra = standin.handle(method, ns, segments, params)
            paginate = extra.get("paginate", False)
            if paginate:
                entries, total, offset, count = _paginate(entries, params)
            else:
                total, offset, count = len(entries), 0, _DEFAULT_COUNT
            path_for_links = raw_path.rstrip("/")
            if as_json:
                text = _json_feed(standin.base_url, path_for_links, entries, ns, total, offset, count, paginate)
            else:
                text = _atom_feed(standin.base_url, path_for_links, title, entries, ns, total, offset, count, paginate)
        except _Error as err:
            entry["status"] = err.status
            self._send(err.status, _error_body(err.text, err.msg_type, as_json), as_json)
            return
        except Exception as exc:  # noqa: BLE001 - keep the server alive; answer like splunkd would
            entry["status"] = 500
            self._send(500, _error_body(f"Internal error: {type(exc).__name__}", "ERROR", as_json), as_json)
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


def _parse_path(raw_path: str) -> tuple[tuple[str, str] | None, list[str]]:
    """Split '/servicesNS/<owner>/<app>/<a>/<b>' into ((owner, app), [a, b]).

    Each segment is percent-decoded on its own, so an encoded '/' (%2F) stays
    inside its segment, as splunkd treats a stanza like 'sqs_s3_audit://x'.
    """
    parts = [unquote(p) for p in raw_path.split("/")]
    parts = [p for p in parts if p != ""]
    if not parts:
        raise _Error(404, "Not Found")
    if parts[0] == "services":
        return None, parts[1:]
    if parts[0] == "servicesNS" and len(parts) >= 3:
        return (parts[1], parts[2]), parts[3:]
    raise _Error(404, "Not Found")


# ------------------------------------------------------------------------ CLI
def load_seed(standin: SplunkdStandIn, seed: dict) -> None:
    """Load ``{"<conf>": {"<stanza>": {"fields": {...}, "encrypted": {...}}}}``.

    A stanza may also give ``app`` and ``sharing``; a conf mapped to ``{}`` exists
    with no stanzas.
    """
    if not isinstance(seed, dict):
        raise ValueError("seed must be a JSON object of conf name -> stanzas")
    for conf_name, stanzas in seed.items():
        if not isinstance(stanzas, dict):
            raise ValueError(f"seed[{conf_name!r}] must be an object of stanza name -> definition")
        standin.add_conf(conf_name)
        for stanza, spec in stanzas.items():
            spec = spec or {}
            unknown = set(spec) - {"fields", "encrypted", "app", "sharing", "owner"}
            if unknown:
                raise ValueError(f"seed[{conf_name!r}][{stanza!r}] has unknown keys {sorted(unknown)}")
            standin.add_stanza(
                conf_name,
                stanza,
                spec.get("fields") or {},
                encrypted=spec.get("encrypted"),
                app=spec.get("app"),
                sharing=spec.get("sharing", "global"),
                owner=spec.get("owner", "nobody"),
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a stand-in for splunkd's config REST API on 127.0.0.1.")
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


if __name__ == "__main__":
    sys.exit(main())
