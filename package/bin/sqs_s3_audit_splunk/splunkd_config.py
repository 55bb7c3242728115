"""Read the add-on's configuration from splunkd's REST API, as solnlib does.

The modular input and the doctor get ``server_uri`` and a session key from
splunkd (or the admin) and read, through solnlib's ``ConfManager`` (which decrypts
UCC-encrypted fields from ``storage/passwords``):

- ``ta_sqs_s3_audit_account.conf``   ``[<account>]``  aws_access_key_id, aws_secret_access_key
- ``ta_sqs_s3_audit_iam_role.conf``  ``[<role>]``     role_arn, external_id, session_duration
- ``ta_sqs_s3_audit_settings.conf``  ``[proxy]``, ``[logging]``
- ``inputs.conf``                    ``[sqs_s3_audit://<name>]``

Values come back as plain ``dict`` of ``str`` ("" for empty or missing fields);
validating them is the engine's job. Every failure is one exception type,
:class:`SplunkdConfigError`, whose message names what is wrong and never holds a
secret.

Scheme, host and port are always passed to solnlib explicitly, so solnlib never
has to discover splunkd through Splunk's ``splunk`` package or ``SPLUNK_HOME``.
Only ``solnlib.conf_manager``, ``solnlib.credentials``,
``solnlib.splunk_rest_client`` and ``solnlib.soln_exceptions`` are used. Importing
them runs ``solnlib/__init__.py``, whose modules do not import
``solnlib.observability`` (grpc/opentelemetry); a unit test keeps it so.
"""

from __future__ import annotations

import os
from typing import Dict, Optional
from urllib.parse import urlsplit

from solnlib.conf_manager import ConfFile, ConfManager
from solnlib.credentials import CredentialNotExistException
from solnlib.soln_exceptions import ConfManagerException, ConfStanzaNotExistException
from solnlib.splunk_rest_client import SplunkRestClient
from splunklib import binding

__all__ = [
    "ACCOUNT_CONF",
    "APP_NAME",
    "IAM_ROLE_CONF",
    "INPUT_KIND",
    "SETTINGS_CONF",
    "SplunkdConfig",
    "SplunkdConfigError",
]

APP_NAME = "TA_sqs_s3_audit"
ACCOUNT_CONF = "ta_sqs_s3_audit_account"
IAM_ROLE_CONF = "ta_sqs_s3_audit_iam_role"
SETTINGS_CONF = "ta_sqs_s3_audit_settings"
INPUTS_CONF = "inputs"
INPUT_KIND = "sqs_s3_audit"

ACCOUNT_FIELDS = ("aws_access_key_id", "aws_secret_access_key")
IAM_ROLE_FIELDS = ("role_arn", "external_id", "session_duration")
PROXY_FIELDS = (
    "proxy_enabled",
    "proxy_type",
    "proxy_url",
    "proxy_port",
    "proxy_username",
    "proxy_password",
    "proxy_rdns",
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LOG_LEVEL = "INFO"

# Keys splunkd and solnlib add to every stanza; they are not parameters.
_NOT_PARAMETERS = ("eai:access", "eai:appName", "eai:userName", "eai:acl", "eai:attributes")


class SplunkdConfigError(Exception):
    """The configuration could not be read; the message says what to fix."""


class SplunkdConfig:
    """The add-on's configuration as splunkd serves it.

    :param server_uri: splunkd's management URI, e.g. ``https://127.0.0.1:8089``
        (the ``server_uri`` splunkd gives a modular input).
    :param session_key: a splunkd session key (``Authorization: Splunk <key>``).
    :param app: the app whose namespace (``servicesNS/nobody/<app>``) and UCC
        credential realm are used.
    :param max_retries: HTTP retries per request on connection errors and 5xx,
        passed to solnlib; ``None`` keeps solnlib's default (5).
    """

    def __init__(
        self,
        server_uri: str,
        session_key: str,
        app: str = APP_NAME,
        owner: str = "nobody",
        max_retries: Optional[int] = None,
    ):
        if not session_key:
            raise SplunkdConfigError("no splunkd session key was given")
        self.server_uri = (server_uri or "").strip().rstrip("/")
        self.scheme, self.host, self.port = _parse_server_uri(self.server_uri)
        self.app = app
        self.owner = owner
        self._session_key = session_key
        self._context: Dict[str, object] = {}
        if max_retries is not None:
            self._context["max_retries"] = int(max_retries)
        _bypass_env_proxy_for(self.host)
        self._service: Optional[SplunkRestClient] = None
        self._confs: Dict[str, ConfFile] = {}
        self._session_checked = False

    # ---------------------------------------------------------------- public
    def account(self, name: str) -> Dict[str, str]:
        """``{"aws_access_key_id", "aws_secret_access_key"}`` of an account, in clear.

        Both are "" for an account meant to use the host's default AWS credential chain.
        """
        stanza = self._required_stanza(ACCOUNT_CONF, name, "account")
        return {key: stanza.get(key, "") for key in ACCOUNT_FIELDS}

    def iam_role(self, name: str) -> Dict[str, str]:
        """``{"role_arn", "external_id", "session_duration"}`` of an IAM role stanza.

        ``external_id`` is in clear ("" when not set); ``session_duration`` is the
        string as configured ("" when not set; the default, 3600, is the engine's).
        """
        stanza = self._required_stanza(IAM_ROLE_CONF, name, "IAM role")
        return {key: stanza.get(key, "") for key in IAM_ROLE_FIELDS}

    def proxy(self) -> Dict[str, str]:
        """The ``[proxy]`` settings with ``proxy_password`` in clear.

        All of ``PROXY_FIELDS`` are present; with no proxy stanza (or no settings
        file) ``proxy_enabled`` is ``"0"`` and the others are "".
        """
        stanza = self._optional_stanza(SETTINGS_CONF, "proxy", "proxy settings")
        result = {key: "" for key in PROXY_FIELDS}
        result["proxy_enabled"] = "0"
        if stanza:
            for key in PROXY_FIELDS:
                if stanza.get(key, "") != "":
                    result[key] = stanza[key]
        return result

    def log_level(self) -> str:
        """``loglevel`` of the ``[logging]`` stanza, upper case; "INFO" when unset or unknown."""
        stanza = self._optional_stanza(SETTINGS_CONF, "logging", "logging settings")
        level = (stanza or {}).get("loglevel", "").strip().upper()
        if level == "WARN":
            level = "WARNING"
        return level if level in LOG_LEVELS else DEFAULT_LOG_LEVEL

    def input_stanza(self, name: str) -> Dict[str, str]:
        """The parameters of ``[sqs_s3_audit://<name>]`` in inputs.conf.

        ``name`` may be given with or without the ``sqs_s3_audit://`` prefix. The
        result holds every key splunkd returns for the stanza (including
        inherited defaults such as ``index`` or ``disabled``), without the
        ``eai:*`` bookkeeping keys.
        """
        prefix = f"{INPUT_KIND}://"
        short = name[len(prefix) :] if name.startswith(prefix) else name
        if not short:
            raise SplunkdConfigError("no input name was given")
        return self._required_stanza(INPUTS_CONF, prefix + short, "input")

    # --------------------------------------------------------------- helpers
    def _required_stanza(self, conf: str, stanza: str, what: str) -> Dict[str, str]:
        label = f'{what} "{stanza}"'
        if not stanza:
            raise SplunkdConfigError(f"no {what} name was given")
        conf_file = self._conf(conf, label)
        if conf_file is None:
            raise SplunkdConfigError(f"{label} not found in {conf}.conf ({conf}.conf does not exist in app {self.app})")
        return self._read(conf_file, conf, stanza, label, required=True)  # type: ignore[return-value]

    def _optional_stanza(self, conf: str, stanza: str, what: str) -> Optional[Dict[str, str]]:
        conf_file = self._conf(conf, what)
        if conf_file is None:
            return None
        # stanza_exist() asks without raising, so a missing optional stanza does not
        # make solnlib's retry decorator log a traceback.
        try:
            exists = conf_file.stanza_exist(stanza)
        except Exception as exc:  # noqa: BLE001 - mapped to one error type
            raise self._error(exc, what, conf) from None
        if not exists:
            return None
        return self._read(conf_file, conf, stanza, what, required=False)

    def _read(self, conf_file: ConfFile, conf: str, stanza: str, label: str,
              required: bool) -> Optional[Dict[str, str]]:
        try:
            raw = conf_file.get(stanza)
        except ConfStanzaNotExistException:
            if required:
                raise SplunkdConfigError(f"{label} not found in {conf}.conf") from None
            return None
        except CredentialNotExistException:
            raise SplunkdConfigError(
                f"{label} in {conf}.conf has encrypted fields but splunkd's storage/passwords holds no "
                f"credential for it (realm {_realm(self.app, conf)}); enter the secret again in the "
                "add-on's Configuration page"
            ) from None
        except KeyError as exc:
            # A field is "******" in the conf but missing from the stored JSON.
            field = exc.args[0] if exc.args else "?"
            raise SplunkdConfigError(
                f"{label} in {conf}.conf: the encrypted field {field} is missing from its stored credential; "
                "enter the secret again in the add-on's Configuration page"
            ) from None
        except ValueError as exc:
            if isinstance(exc, binding.HTTPError):
                raise self._error(exc, label, conf) from None
            # json.loads of the stored credential failed; never echo its content.
            raise SplunkdConfigError(
                f"{label} in {conf}.conf: its stored credential in storage/passwords is not valid JSON; "
                "enter the secret again in the add-on's Configuration page"
            ) from None
        except Exception as exc:  # noqa: BLE001 - mapped to one error type
            raise self._error(exc, label, conf) from None
        return {
            str(key): "" if value is None else str(value)
            for key, value in raw.items()
            if key not in _NOT_PARAMETERS and not isinstance(value, dict)
        }

    def _conf(self, conf: str, what: str) -> Optional[ConfFile]:
        """The ConfFile for ``conf``, or None when the conf file does not exist."""
        if conf in self._confs:
            return self._confs[conf]
        self._check_session(conf, what)
        manager = ConfManager(
            self._session_key,
            self.app,
            owner=self.owner,
            scheme=self.scheme,
            host=self.host,
            port=self.port,
            realm=_realm(self.app, conf),
            **self._context,
        )
        try:
            conf_file = manager.get_conf(conf)
        except ConfManagerException:
            return None
        except Exception as exc:  # noqa: BLE001 - mapped to one error type
            raise self._error(exc, what, conf) from None
        self._confs[conf] = conf_file
        return conf_file

    def _check_session(self, conf: str, what: str) -> None:
        """One request without solnlib's retry decorator, so a rejected session key
        fails at once instead of after solnlib's 1+2+4 s of retries."""
        if self._session_checked:
            return
        try:
            if self._service is None:
                self._service = SplunkRestClient(
                    self._session_key,
                    self.app,
                    owner=self.owner,
                    scheme=self.scheme,
                    host=self.host,
                    port=self.port,
                    **self._context,
                )
            # GET properties/<conf>: the request ConfManager.get_conf makes; 404 is fine.
            conf in self._service.confs  # noqa: B015 - the request is the point
        except Exception as exc:  # noqa: BLE001 - mapped to one error type
            raise self._error(exc, what, conf) from None
        self._session_checked = True

    def _error(self, exc: BaseException, what: str, conf: str) -> SplunkdConfigError:
        where = f"splunkd at {self.server_uri}"
        if isinstance(exc, SplunkdConfigError):
            return exc
        if isinstance(exc, binding.HTTPError):
            status = getattr(exc, "status", None)
            if status == 401:
                return SplunkdConfigError(
                    f"{where} rejected the session key (HTTP 401): it is wrong or has expired"
                )
            if status == 403:
                return SplunkdConfigError(
                    f"{where} refused to read {what} from {conf}.conf (HTTP 403): the session's user needs "
                    "read access to the app and, for secrets, the list_storage_passwords capability"
                )
            return SplunkdConfigError(f"{where} answered HTTP {status} while reading {what} from {conf}.conf")
        if isinstance(exc, ValueError):
            return SplunkdConfigError(f"cannot use splunkd URI {self.server_uri!r}: {exc}")
        # requests' connection errors, timeouts, TLS errors: name the kind only.
        return SplunkdConfigError(f"cannot reach {where} to read {what}: {type(exc).__name__}")


def _realm(app: str, conf: str) -> str:
    return f"__REST_CREDENTIAL__#{app}#configs/conf-{conf}"


def _parse_server_uri(uri: str):
    """(scheme, host, port) for solnlib; IPv6 literals keep their brackets."""
    if not uri:
        raise SplunkdConfigError("no splunkd URI was given")
    try:
        parts = urlsplit(uri if "://" in uri else f"https://{uri}")
        port = parts.port
    except ValueError:
        raise SplunkdConfigError(f"splunkd URI {uri!r} is not a valid URL") from None
    scheme = (parts.scheme or "").lower()
    if scheme not in ("http", "https"):
        raise SplunkdConfigError(f"splunkd URI {uri!r} must start with https:// or http://")
    host = parts.hostname or ""
    if not host:
        raise SplunkdConfigError(f"splunkd URI {uri!r} names no host")
    if ":" in host:
        host = f"[{host}]"
    if port is None:
        port = 8089
    return scheme, host, port


def _bypass_env_proxy_for(host: str) -> None:
    """Keep splunkd traffic off an HTTP(S)_PROXY set in the environment.

    solnlib talks to splunkd with ``requests``, which honours HTTPS_PROXY/HTTP_PROXY
    from the environment (as set, for example, in splunk-launch.conf for Splunk's
    own traffic). The management port is local; add its host to NO_PROXY so a
    proxy meant for the Internet never sees the session key. The add-on's own
    proxy (the ``[proxy]`` stanza) is configured separately for AWS.
    """
    proxy_variables = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
    if not any(os.environ.get(k) for k in proxy_variables):
        return
    bare = host.strip("[]")
    for key in ("NO_PROXY", "no_proxy"):
        current = os.environ.get(key, "")
        entries = [e.strip() for e in current.split(",") if e.strip()]
        if "*" in entries or bare in entries or host in entries:
            continue
        os.environ[key] = ",".join(entries + [bare])
