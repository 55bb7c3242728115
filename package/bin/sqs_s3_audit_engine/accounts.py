"""The global configuration an input refers to: accounts, IAM roles and the proxy, validated.

An input names an account (``ta_sqs_s3_audit_account.conf``) and optionally IAM roles
(``ta_sqs_s3_audit_iam_role.conf``); the proxy (``ta_sqs_s3_audit_settings.conf``, stanza
``proxy``) is shared by every input. Every check raises :class:`.errors.ConfigError` naming
the field as the admin sees it in Splunk Web.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlparse

from .errors import ConfigError
from .params import int_param, is_true

__all__ = ["AccountConfig", "RoleConfig", "ProxyConfig", "parse_role_arn", "parse_role", "parse_proxy"]

_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::(?P<account>\d{12}):role/"
    r"(?P<path_name>[\w+=,.@/-]{1,512})$"
)
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII)


@dataclass(frozen=True)
class AccountConfig:
    """Credentials of an IAM user; both empty means the host's default chain."""

    name: str
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)

    @property
    def uses_default_chain(self) -> bool:
        return not self.access_key_id and not self.secret_access_key


@dataclass(frozen=True)
class RoleConfig:
    """A role to assume with the account's credentials."""

    name: str
    role_arn: str
    external_id: str = field(default="", repr=False)
    session_duration: int = 3600


@dataclass(frozen=True)
class ProxyConfig:
    """HTTP proxy (CONNECT for HTTPS) through which all AWS traffic goes when enabled.

    HTTP only, everywhere: the AWS SDK cannot use SOCKS, so ``parse_proxy`` refuses it.
    """

    enabled: bool = False
    host: str = ""
    port: int = 0
    username: str = ""
    password: str = field(default="", repr=False)

    def url(self) -> str:
        """The proxy URL with credentials, for the HTTP client only; never log it."""
        from urllib.parse import quote

        auth = ""
        if self.username:
            auth = quote(self.username, safe="")
            if self.password:
                auth += ":" + quote(self.password, safe="")
            auth += "@"
        return f"http://{auth}{self.host}:{self.port}"

    def display(self) -> str:
        """The proxy URL without credentials, safe for logs."""
        return f"http://{self.host}:{self.port}"


def parse_role_arn(arn: str) -> str:
    """Return the ARN stripped, or raise ConfigError naming ``role_arn``."""
    arn = (arn or "").strip()
    if not _ROLE_ARN.match(arn):
        raise ConfigError(
            "role_arn",
            f"{arn!r} is not an IAM role ARN: expected arn:aws:iam::<12-digit account id>:role/<name>",
        )
    return arn


def parse_role(name: str, fields: Mapping[str, str]) -> RoleConfig:
    """Validate an IAM role stanza (``ta_sqs_s3_audit_iam_role.conf``)."""
    arn = parse_role_arn(fields.get("role_arn", ""))
    duration = int_param(fields, "session_duration", 3600, 900, 43200)
    external_id = (fields.get("external_id") or "").strip()
    if external_id and not _EXTERNAL_ID.match(external_id):
        # Never echo the value: it is a secret.
        raise ConfigError("external_id", f"of role {name!r} must be 2 to 1224 characters: letters, digits and "
                                         "+ = , . @ : / _ - (as sts:AssumeRole requires)")
    return RoleConfig(
        name=name,
        role_arn=arn,
        external_id=external_id,
        session_duration=duration,
    )


def parse_proxy(fields: Mapping[str, str]) -> ProxyConfig:
    """Validate the ``proxy`` stanza; a disabled or empty proxy is returned disabled.

    ``proxy_rdns`` is not read: an HTTP proxy reached with CONNECT resolves names itself.
    """
    if not is_true(fields.get("proxy_enabled")):
        return ProxyConfig()
    proxy_type = (fields.get("proxy_type") or "http").strip().lower()
    if proxy_type != "http":
        raise ConfigError("proxy_type", f"{proxy_type!r} is not supported: the AWS SDK can only use an HTTP "
                                        "proxy (proxy_type http); SOCKS proxies are not supported")
    host = (fields.get("proxy_url") or "").strip()
    if "://" in host:
        host = urlparse(host).hostname or ""
    if not host:
        raise ConfigError("proxy_url", "is required when the proxy is enabled")
    port = int_param(fields, "proxy_port", 0, 1, 65535)
    if not port:
        raise ConfigError("proxy_port", "is required when the proxy is enabled")
    return ProxyConfig(
        enabled=True,
        host=host,
        port=port,
        username=(fields.get("proxy_username") or "").strip(),
        password=fields.get("proxy_password") or "",
    )
