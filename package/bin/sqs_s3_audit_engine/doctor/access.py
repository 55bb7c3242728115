"""Credentials and roles: ``sts:GetCallerIdentity`` with the account, ``sts:AssumeRole`` of
a role; the input's connection a role gives (:func:`..wiring.connect`), for the checks that follow."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Tuple

from botocore.config import Config

from ..accounts import AccountConfig, ProxyConfig
from ..aws import AWS_ERRORS, wrap_error
from ..aws_errors import REJECTED_KEY_CODES, UNREACHABLE_CODES
from ..config import InputConfig
from ..errors import AwsCallError
from ..wiring import Connection, Settings, account_identity, connect
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
                      sts_endpoint_url: str = "", overrides: Optional[Config] = None) -> CheckResult:
    """``sts:GetCallerIdentity`` with the account's keys, or the default chain when both are empty
    (``overrides``: timeouts and retries over the input's own)."""
    try:
        identity = account_identity(account, region=region, proxy=proxy, sts_endpoint_url=sts_endpoint_url,
                                    overrides=overrides)
        arn = identity.caller()["Arn"]
    except AwsCallError as exc:
        return _rejected(account, exc)
    except AWS_ERRORS as exc:  # the client could not be built (an endpoint botocore refuses)
        return _rejected(account, wrap_error("sts:GetCallerIdentity", exc))
    return CheckResult(PASS, "credentials", f"{_origin(account)} accepted as {arn}")


def _rejected(account: AccountConfig, error: AwsCallError) -> CheckResult:
    if error.code in UNREACHABLE_CODES:
        fix = _unreachable("AWS STS", "sts_endpoint_url")
    elif error.code in REJECTED_KEY_CODES:
        fix = ("the access key ID or secret access key is wrong, disabled or deleted: enter the IAM user's "
               f"current keys in Configuration > Accounts > {account.name}")
    else:
        fix = error.hint or "check the account's access key ID and secret access key"
    return CheckResult(FAIL, "credentials", f"{_origin(account)} not accepted by sts:GetCallerIdentity "
                                            f"({error.code}): {fix}", error.code)


def check_role(cfg: InputConfig, settings: Settings,
               overrides: Optional[Config] = None) -> Tuple[CheckResult, Optional[Connection]]:
    """Assume ``settings.role`` (with its external id) with the account's credentials; on success
    the input's connection (:func:`..wiring.connect`, ``overrides`` over its timeouts and retries)
    without the bucket role, which :func:`.bucket_checks.check_bucket_role` assumes on its own."""
    account, role = settings.account, settings.role
    try:
        connection = connect(cfg, replace(settings, bucket_role=None), overrides=overrides)
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
        return CheckResult(PASS, "role", "no IAM role: the account's credentials are used directly"), connection
    detail = f"assumed {role.role_arn} ({role.session_duration} s sessions"
    detail += ", with the external id)" if role.external_id else ", no external id)"
    return CheckResult(PASS, "role", detail), connection
