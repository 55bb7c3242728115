"""An input's settings read from splunkd: account, roles, proxy and log level.

The modular input (:mod:`.modinput`) and the doctor (``bin/sqs_s3_audit_doctor.py``) read
them here, into the engine's one :class:`sqs_s3_audit_engine.wiring.Settings`.
"""

from __future__ import annotations

from typing import Optional

from sqs_s3_audit_engine.accounts import AccountConfig, RoleConfig, parse_proxy, parse_role
from sqs_s3_audit_engine.config import InputConfig
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.wiring import Settings

from .splunkd_config import SplunkdConfig, SplunkdConfigError

__all__ = ["load_settings"]


def _role(splunkd: SplunkdConfig, name: str, parameter: str) -> Optional[RoleConfig]:
    if not name:
        return None
    try:
        fields = splunkd.iam_role(name)
    except SplunkdConfigError as exc:
        raise ConfigError(parameter, str(exc)) from None
    return parse_role(name, fields)


def load_settings(splunkd: SplunkdConfig, cfg: InputConfig) -> Settings:
    """Read account, role, proxy and log level; errors name the parameter at fault."""
    try:
        fields = splunkd.account(cfg.account)
    except SplunkdConfigError as exc:
        raise ConfigError("account", str(exc)) from None
    account = AccountConfig(
        name=cfg.account,
        access_key_id=(fields.get("aws_access_key_id") or "").strip(),
        secret_access_key=(fields.get("aws_secret_access_key") or "").strip(),
    )
    if bool(account.access_key_id) != bool(account.secret_access_key):
        raise ConfigError("account", f"account {cfg.account!r} has only one of access key id and secret access key")
    role = _role(splunkd, cfg.iam_role, "iam_role")
    bucket_role = _role(splunkd, cfg.bucket_iam_role, "bucket_iam_role")
    try:
        proxy = parse_proxy(splunkd.proxy() or {})
        level = splunkd.log_level() or "INFO"
    except SplunkdConfigError as exc:
        raise ConfigError("proxy", str(exc)) from None
    return Settings(account, role, proxy, bucket_role=bucket_role, level=level)
