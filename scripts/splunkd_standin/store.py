"""The splunkd stand-in's state: conf stanzas and storage/passwords entries, with their namespaces.

Secrets are stored the UCC way by :meth:`ConfStore.add_stanza`: the conf entry
holds ``******`` for every non-empty encrypted field and storage/passwords holds,
under realm ``__REST_CREDENTIAL__#<app>#configs/conf-<conf>`` and a username
derived from the stanza name, one JSON object of those fields, cut into
255-character pieces named ``<stanza>``splunk_cred_sep``<n>`` and closed by an
end-mark entry, exactly as solnlib's ``CredentialManager.set_password`` writes
them (solnlib/credentials.py and conf_manager.py, 8.x).

Standard library only.
"""

from __future__ import annotations

import json
import threading

DEFAULT_SESSION_KEY = "standin-session-key"
DEFAULT_APP = "TA_sqs_s3_audit"

# solnlib's conventions (solnlib/credentials.py and conf_manager.py, 8.x).
ENCRYPTED_TOKEN = "******"
CRED_LEN_LIMIT = 255
CRED_SEP = "``splunk_cred_sep``"
CRED_END_MARK = (
    "``splunk_cred_sep``S``splunk_cred_sep``P``splunk_cred_sep``L``splunk_cred_sep``"
    "U``splunk_cred_sep``N``splunk_cred_sep``K``splunk_cred_sep``"
)


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


def conf_key(conf_name: str) -> str:
    """Accept 'x', 'x.conf' and 'conf-x' for the conf file named x."""
    name = conf_name
    if name.startswith("conf-"):
        name = name[len("conf-") :]
    if name.endswith(".conf"):
        name = name[: -len(".conf")]
    if not name:
        raise ValueError(f"bad conf name {conf_name!r}")
    return name


class Record:
    """A stored stanza or credential with its namespace."""

    def __init__(self, values: dict, app: str, owner: str, sharing: str):
        self.values = values
        self.app = app
        self.owner = owner
        self.sharing = sharing

    def visible(self, owner: str, app: str) -> bool:
        """Whether a request in namespace ``owner``/``app`` (``-`` = any) sees this record."""
        if self.sharing in ("global", "system"):
            app_ok = True
        else:
            app_ok = app == "-" or self.app == app
        if self.sharing == "user":
            owner_ok = owner == "-" or self.owner == owner
        else:
            owner_ok = True
        return app_ok and owner_ok


class ConfStore:
    """Conf files of stanzas and storage/passwords entries, behind one lock.

    :param app: the app that owns stanzas and credentials added without ``app=``.

    ``confs`` (conf name -> stanza name -> :class:`Record`) and ``passwords``
    ((realm, username) -> :class:`Record`) are the raw state; the REST endpoints
    (``routes.Endpoints``) read and change them holding ``lock``.
    """

    def __init__(self, app: str = DEFAULT_APP):
        self.app = app
        self.lock = threading.RLock()
        self.confs: dict[str, dict[str, Record]] = {}
        self.passwords: dict[tuple[str, str], Record] = {}

    def add_conf(self, conf_name: str) -> None:
        """Make a conf file exist (with no stanzas), as an empty file would."""
        with self.lock:
            self.confs.setdefault(conf_key(conf_name), {})

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
        conf = conf_key(conf_name)
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
        with self.lock:
            self.confs.setdefault(conf, {})[stanza] = Record(values, app, owner, sharing)
            realm = ucc_realm(app, conf)
            self._delete_credentials(realm, stanza)
            if secrets:
                self.set_credential(realm, stanza, json.dumps(secrets), app=app, sharing=sharing, owner=owner)

    def remove_stanza(self, conf_name: str, stanza: str) -> None:
        with self.lock:
            self.confs.get(conf_key(conf_name), {}).pop(stanza, None)

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
        with self.lock:
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
        with self.lock:
            self.passwords[(realm, username)] = Record(
                {"realm": realm, "username": username, "clear_password": clear_password},
                app or self.app,
                owner,
                sharing,
            )

    def password_entries(self, realm: str | None = None) -> list[dict]:
        """Raw storage/passwords entries (realm, username, clear_password), sorted."""
        with self.lock:
            rows = [dict(r.values) for (rlm, _), r in self.passwords.items() if realm is None or rlm == realm]
        return sorted(rows, key=lambda r: (r["realm"], r["username"]))

    def stanza(self, conf_name: str, stanza: str) -> dict | None:
        """The stored fields of a stanza (``******`` for encrypted ones), or None."""
        with self.lock:
            rec = self.confs.get(conf_key(conf_name), {}).get(stanza)
            return None if rec is None else dict(rec.values)

    def _delete_credentials(self, realm: str, username: str) -> None:
        prefix = f"{username}{CRED_SEP}"
        for key in list(self.passwords):
            if key[0] == realm and (key[1] == username or key[1].startswith(prefix)):
                del self.passwords[key]


def load_seed(store: ConfStore, seed: dict) -> None:
    """Load ``{"<conf>": {"<stanza>": {"fields": {...}, "encrypted": {...}}}}``.

    A stanza may also give ``app`` and ``sharing``; a conf mapped to ``{}`` exists
    with no stanzas.
    """
    if not isinstance(seed, dict):
        raise ValueError("seed must be a JSON object of conf name -> stanzas")
    for conf_name, stanzas in seed.items():
        if not isinstance(stanzas, dict):
            raise ValueError(f"seed[{conf_name!r}] must be an object of stanza name -> definition")
        store.add_conf(conf_name)
        for stanza, spec in stanzas.items():
            spec = spec or {}
            unknown = set(spec) - {"fields", "encrypted", "app", "sharing", "owner"}
            if unknown:
                raise ValueError(f"seed[{conf_name!r}][{stanza!r}] has unknown keys {sorted(unknown)}")
            store.add_stanza(
                conf_name,
                stanza,
                spec.get("fields") or {},
                encrypted=spec.get("encrypted"),
                app=spec.get("app"),
                sharing=spec.get("sharing", "global"),
                owner=spec.get("owner", "nobody"),
            )
