"""Credentials and roles: ``sts:GetCallerIdentity`` with the account, ``sts:AssumeRole`` of
a role; the clients a role gives, for the checks that follow."""

from __future__ import annotations

from typing import Optional, Tuple

import boto3
from botocore.config import Config

from ..aws import AWS_ERRORS, wrap_error
from ..aws_clients import AwsClients, botocore_config, build_clients
from ..aws_errors import REJECTED_KEY_CODES, UNREACHABLE_CODES
from ..accounts import AccountConfig, ProxyConfig, RoleConfig
from ..config import InputConfig
from ..errors import AwsCallError
from .results import FAIL, PASS, CheckResult

__all__ = ["check_credentials", "check_role"]


def _unreachable(service: str, endpoint_param: str) -> str:
    return (f"{service} cannot be reached from this host: check the network route, the proxy settings "
            f"(Configuration > Proxy) and {endpoint_param}")


def _origin(account: AccountConfig) -> str:
    if account.uses_default_chain:
        return f"account {account.name!r} (the host's default credential chain)"
    return f"account {account.name!r}"


def check_credentials(account: AccountConfig, region: str, proxy: ProxyConfig,
                      sts_endpoint_url: str = "", config: Optional[Config] = None) -> CheckResult:
    """``sts:GetCallerIdentity`` with the account's keys, or the default chain when both are empty."""
    if account.uses_default_chain:
        session = boto3.Session(region_name=region)
    else:
        session = boto3.Session(aws_access_key_id=account.access_key_id,
                                aws_secret_access_key=account.secret_access_key, region_name=region)
    try:
        sts = session.client("sts", endpoint_url=sts_endpoint_url or None, config=config or botocore_config(proxy))
        arn = sts.get_caller_identity()["Arn"]
    except AWS_ERRORS as exc:
        error = wrap_error("sts:GetCallerIdentity", exc)
        if error.code in UNREACHABLE_CODES:
            fix = _unreachable("AWS STS", "sts_endpoint_url")
        elif error.code in REJECTED_KEY_CODES:
            fix = ("the access key ID or secret access key is wrong, disabled or deleted: enter the IAM user's "
                   f"current keys in Configuration > Accounts > {account.name}")
        else:
            fix = error.hint or "check the account's access key ID and secret access key"
        return CheckResult(FAIL, "credentials", f"{_origin(account)} not accepted by sts:GetCallerIdentity "
                                                f"({error.code}): {fix}", error.code)
    return CheckResult(PASS, "credentials", f"{_origin(account)} accepted as {arn}")


def check_role(cfg: InputConfig, account: AccountConfig, role: Optional[RoleConfig], proxy: ProxyConfig,
               overrides: Optional[Config] = None) -> Tuple[CheckResult, Optional[AwsClients]]:
    """Assume the role (with the external id) with the account's credentials; the clients on success
    (built by :func:`..aws_clients.build_clients`, with ``overrides`` over its timeouts and retries)."""
    try:
        clients = build_clients(cfg, account, role, proxy, overrides=overrides)
    except AwsCallError as exc:
        arn = role.role_arn if role else ""
        if exc.code in UNREACHABLE_CODES:
            fix = _unreachable("AWS STS", "sts_endpoint_url")
        else:
            fix = (f"the trust policy of {arn} must allow the IAM identity of {_origin(account)} to call "
                   "sts:AssumeRole"
                   + (" with the external id set in IAM Roles > " + role.name if role and role.external_id
                      else " (no external id is set in IAM Roles; add it if the role's trust policy requires one)")
                   + f", and that identity needs sts:AssumeRole on {arn} in its own policy; "
                   "also check the role ARN and the session duration (at most the role's maximum session duration)")
        return CheckResult(FAIL, "role", f"cannot assume {arn} ({exc.code}): {fix}", exc.code), None
    if role is None:
        return CheckResult(PASS, "role", "no IAM role: the account's credentials are used directly"), clients
    detail = f"assumed {role.role_arn} ({role.session_duration} s sessions"
    detail += ", with the external id)" if role.external_id else ", no external id)"
    return CheckResult(PASS, "role", detail), clients
