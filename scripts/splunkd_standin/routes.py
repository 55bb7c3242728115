"""The splunkd stand-in's endpoints: which request reads or changes which stanza or credential.

* ``/services[NS/<owner>/<app>]/properties[/<conf>[/<stanza>]]`` (solnlib's
  ``ConfManager.get_conf`` checks here that a conf file exists; 404 when it does not)
* ``.../configs/conf-<conf>[/<stanza>]``: list, read, create (``POST`` with ``name``),
  update, ``disable``/``enable``, ``DELETE``.
* ``.../storage/passwords[/<realm>:<username>:]``: list, create (``name``, ``password``,
  ``realm``), update, ``DELETE``.
* ``.../data/inputs/<kind>[/<name>[/disable|/enable]]``: the ``[<kind>://<name>]``
  stanzas of ``inputs.conf``, as splunktaucclib's ``DataInputModel`` uses them.

Each endpoint answers (status, feed title, entries, extra) or raises
:class:`feeds.RestError`; ``extra["paginate"]`` says the list takes count/offset/search.
Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import unquote

from .feeds import Entry, RestError, first_param, make_acl
from .store import ConfStore, Record


def parse_path(raw_path: str) -> tuple[tuple[str, str] | None, list[str]]:
    """Split '/servicesNS/<owner>/<app>/<a>/<b>' into ((owner, app), [a, b]).

    Each segment is percent-decoded on its own, so an encoded '/' (%2F) stays
    inside its segment, as splunkd treats a stanza like 'sqs_s3_audit://x'.
    """
    parts = [unquote(p) for p in raw_path.split("/")]
    parts = [p for p in parts if p != ""]
    if not parts:
        raise RestError(404, "Not Found")
    if parts[0] == "services":
        return None, parts[1:]
    if parts[0] == "servicesNS" and len(parts) >= 3:
        return (parts[1], parts[2]), parts[3:]
    raise RestError(404, "Not Found")


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


def _fake_cipher(text: str) -> str:
    # Not encryption: a stable opaque token standing in for splunkd's $7$ value.
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _method(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise RestError(405, f"Method {method} not allowed")


class Endpoints:
    """splunkd's conf and storage/passwords endpoints over a :class:`store.ConfStore`.

    :param store: the stanzas and credentials; ``store.app`` owns what a request
        in the ``-`` app creates.
    :param default_app: the app context of ``/services/...`` (no namespace), as
        the user's default app would be in splunkd.
    """

    def __init__(self, store: ConfStore, default_app: str = "search"):
        self.store = store
        self.default_app = default_app

    def handle(self, method: str, ns: tuple[str, str] | None, segments: list[str], params: dict) -> tuple[int, str, list, dict]:
        """Return (status, feed title, entries, extra) or raise RestError."""
        owner, app = ns if ns is not None else ("admin", self.default_app)
        if not segments:
            raise RestError(404, "Not Found")
        head = segments[0]
        with self.store.lock:
            if head == "properties":
                return self._properties(method, owner, app, segments[1:], params)
            if head == "configs" and len(segments) >= 2 and segments[1].startswith("conf-") and len(segments[1]) > 5:
                return self._configs(method, owner, app, segments[1][5:], segments[2:], params)
            if head == "storage" and len(segments) >= 2 and segments[1] == "passwords":
                return self._storage_passwords(method, owner, app, segments[2:], params)
            if head == "data" and len(segments) >= 3 and segments[1] == "inputs":
                return self._data_inputs(method, owner, app, segments[2], segments[3:], params)
        raise RestError(404, "Not Found")
    # data/inputs/<kind>: the [<kind>://<name>] stanzas of inputs.conf --------
    def _data_inputs(self, method, owner, app, kind, rest, params):
        prefix = f"{kind}://"
        if rest:
            rest = [prefix + rest[0]] + rest[1:]
        elif method == "POST":
            params = dict(params, name=[prefix + (first_param(params, "name") or "")])
        status, _, entries, extra = self._configs(method, owner, app, "inputs", rest, params)
        renamed = [
            Entry(e.title[len(prefix):], ["data", "inputs", kind, e.title[len(prefix):]], e.acl, e.content, e.author)
            for e in entries if e.title.startswith(prefix)
        ]
        return status, kind, renamed, extra

    # properties ---------------------------------------------------------
    def _properties(self, method, owner, app, rest, params):
        ns_app = app if app != "-" else self.store.app
        if not rest:
            if method == "POST":
                conf = first_param(params, "__conf")
                if not conf:
                    raise RestError(400, "Missing argument: __conf")
                existed = conf in self.store.confs
                self.store.confs.setdefault(conf, {})
                entries = [self._properties_file_entry(conf, ns_app)]
                return (200 if existed else 201), "properties", entries, {}
            _method(method, "GET")
            entries = [self._properties_file_entry(c, ns_app) for c in sorted(self.store.confs)]
            return 200, "properties", entries, {}
        conf = rest[0]
        if conf not in self.store.confs:
            raise RestError(404, f"Could not find object id={conf}")
        stanzas = self.store.confs[conf]
        if len(rest) == 1:
            _method(method, "GET")
            entries = [
                Entry(name, ["properties", conf, name], make_acl(rec.app, rec.owner, rec.sharing), {})
                for name, rec in sorted(stanzas.items())
                if rec.visible(owner, app)
            ]
            return 200, conf, entries, {}
        stanza = rest[1]
        rec = stanzas.get(stanza)
        if rec is None or not rec.visible(owner, app):
            raise RestError(404, f"Could not find object id={stanza}")
        _method(method, "GET")
        entries = [
            Entry(key, ["properties", conf, stanza, key], make_acl(rec.app, rec.owner, rec.sharing), {"$text": value})
            for key, value in sorted(rec.values.items())
        ]
        return 200, stanza, entries, {}

    def _properties_file_entry(self, conf, app):
        return Entry(conf, ["properties", conf], make_acl(app, "nobody", "app"), {})

    # configs/conf-<file> ------------------------------------------------
    def _stanza_entry(self, conf, name, rec):
        content = dict(rec.values)
        content["eai:appName"] = rec.app
        content["eai:userName"] = rec.owner
        content["eai:acl"] = make_acl(rec.app, rec.owner, rec.sharing, removable=True)
        return Entry(name, ["configs", f"conf-{conf}", name], content["eai:acl"], content, author=rec.owner)

    def _configs(self, method, owner, app, conf, rest, params):
        title = f"conf-{conf}"
        stanzas = self.store.confs.get(conf, {})
        if not rest:
            if method == "GET":
                entries = [
                    self._stanza_entry(conf, name, rec)
                    for name, rec in stanzas.items()
                    if rec.visible(owner, app)
                ]
                return 200, title, entries, {"paginate": True}
            if method == "POST":
                name = first_param(params, "name")
                if not name:
                    raise RestError(400, "Missing argument: name")
                if name in stanzas:
                    raise RestError(409, f"An object with name={name} already exists")
                values = {k: v[-1] for k, v in params.items() if k not in ("name", "output_mode")}
                values.setdefault("disabled", "0")
                target_app = app if app not in (None, "-") else self.store.app
                rec = Record(values, target_app, "nobody", "app")
                self.store.confs.setdefault(conf, {})[name] = rec
                return 201, title, [self._stanza_entry(conf, name, rec)], {}
            raise RestError(405, f"Method {method} not allowed")
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
            del self.store.confs[conf][name]
            remaining = [
                self._stanza_entry(conf, n, r) for n, r in self.store.confs[conf].items() if r.visible(owner, app)
            ]
            return 200, title, remaining, {}
        raise RestError(405, f"Method {method} not allowed")

    def _visible_stanza(self, conf, name, owner, app) -> Record:
        rec = self.store.confs.get(conf, {}).get(name)
        if rec is None or not rec.visible(owner, app):
            raise RestError(404, f"Could not find object id={name}")
        return rec

    # storage/passwords ---------------------------------------------------
    def _password_entry(self, rec):
        realm = rec.values["realm"]
        username = rec.values["username"]
        content = {
            "clear_password": rec.values["clear_password"],
            "eai:acl": make_acl(rec.app, rec.owner, rec.sharing, removable=True),
            "encr_password": "$7$" + _fake_cipher(rec.values["clear_password"]),
            "password": "********",
            "realm": realm,
            "username": username,
        }
        title = _password_title(realm, username)
        return Entry(title, ["storage", "passwords", title], content["eai:acl"], content, author=rec.owner)

    def _find_password(self, ident, owner, app) -> Record:
        parts = _split_password_id(ident)
        if len(parts) == 1:
            key = ("", parts[0])
        elif len(parts) == 2:
            key = (parts[0], parts[1])
        else:
            key = None
        rec = self.store.passwords.get(key) if key else None
        if rec is None or not rec.visible(owner, app):
            raise RestError(404, f"Could not find object id={ident}")
        return rec

    def _storage_passwords(self, method, owner, app, rest, params):
        title = "passwords"
        if not rest:
            if method == "GET":
                entries = [
                    self._password_entry(rec)
                    for _, rec in sorted(self.store.passwords.items())
                    if rec.visible(owner, app)
                ]
                return 200, title, entries, {"paginate": True}
            if method == "POST":
                name = first_param(params, "name")
                password = first_param(params, "password")
                if not name or password is None:
                    raise RestError(400, "Missing argument: name" if not name else "Missing argument: password")
                realm = first_param(params, "realm") or ""
                if (realm, name) in self.store.passwords:
                    raise RestError(409, f"An object with name={_password_title(realm, name)} already exists")
                target_app = app if app != "-" else self.store.app
                rec = Record({"realm": realm, "username": name, "clear_password": password}, target_app, "nobody", "app")
                self.store.passwords[(realm, name)] = rec
                return 201, title, [self._password_entry(rec)], {}
            raise RestError(405, f"Method {method} not allowed")
        # The realm of a UCC credential holds '/', which splunklib does not
        # encode in an entity's own path; everything after the endpoint is the id.
        rec = self._find_password("/".join(rest), owner, app)
        if method == "GET":
            return 200, title, [self._password_entry(rec)], {"paginate": True}
        if method == "POST":
            password = first_param(params, "password")
            if password is None:
                raise RestError(400, "Missing argument: password")
            rec.values["clear_password"] = password
            return 200, title, [self._password_entry(rec)], {}
        if method == "DELETE":
            del self.store.passwords[(rec.values["realm"], rec.values["username"])]
            remaining = [self._password_entry(r) for _, r in sorted(self.store.passwords.items()) if r.visible(owner, app)]
            return 200, title, remaining, {}
        raise RestError(405, f"Method {method} not allowed")
