"""Server-side checks run when an account, a role or an input is saved in Splunk Web.

Each function returns ``None`` when the values may be saved, or the message that refuses
them (what is wrong and how to fix it). The AWS calls are the doctor's checks
(``sqs_s3_audit_engine.doctor``) with short timeouts and few retries, so a save answers
within seconds. Only definitive answers refuse (keys rejected, access denied, no such
queue): when AWS cannot be reached from the search head (no route, a VPC endpoint only the
forwarder uses), the save goes through with a log line, and the doctor command run on the
forwarder is the place to check. A queue without a redrive policy is only logged.

Every message and log line is one line (``metrics.one_line``): a queue URL, a role ARN
or an AWS error text with a control character or a line break cannot break the page's
message or forge a log entry.
"""

from __future__ import annotations

import logging
from functools import wraps
from typing import Callable, Mapping, Optional, TypeVar

from botocore.config import Config

from sqs_s3_audit_engine.doctor import checks
from sqs_s3_audit_engine.aws_errors import DENIED_CODES, MISSING_QUEUE_CODES, REJECTED_KEY_CODES
from sqs_s3_audit_engine.doctor.bucket_checks import check_bucket_role
from sqs_s3_audit_engine.doctor.results import FAIL, WARN
from sqs_s3_audit_engine.accounts import AccountConfig, ProxyConfig, parse_proxy, parse_role
from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.metrics import one_line
from sqs_s3_audit_engine.doctor.table_checks import check_checkpoint_table
from sqs_s3_audit_engine.retry import CHECK_CALL_ATTEMPTS
from sqs_s3_audit_engine.wiring import Settings

from .splunkd_config import SplunkdConfig, SplunkdConfigError

__all__ = ["check_account", "check_role", "check_input"]

log = logging.getLogger("ta_sqs_s3_audit.save_checks")

#: AWS answers that settle the question; anything else (timeouts, 5xx) lets the save through.
DEFINITIVE_CODES = DENIED_CODES | REJECTED_KEY_CODES | MISSING_QUEUE_CODES | {"ValidationError"}
#: The checkpoint table's definitive answers: no such table, a wrong key schema, a denial.
TABLE_CODES = frozenset({"ResourceNotFoundException", "ValidationException"}) | DENIED_CODES
_QUICK = Config(retries={"mode": "standard", "max_attempts": CHECK_CALL_ATTEMPTS}, connect_timeout=5, read_timeout=10)
_ONE_TRY = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=3)
_OTHER_PARTITIONS = ("cn-north-1", "us-gov-west-1")
_Check = TypeVar("_Check", bound=Callable[..., Optional[str]])


def _one_line(check: _Check) -> _Check:
    @wraps(check)
    def checked(*args, **kwargs):
        message = check(*args, **kwargs)
        return None if message is None else one_line(message)

    return checked  # type: ignore[return-value]


def _proxy(splunkd: Optional[SplunkdConfig]) -> ProxyConfig:
    if splunkd is None:
        return ProxyConfig()
    try:
        return parse_proxy(splunkd.proxy() or {})
    except (SplunkdConfigError, ConfigError):
        return ProxyConfig()


@_one_line
def check_account(fields: Mapping[str, str], splunkd: Optional[SplunkdConfig] = None,
                  sts_endpoint_url: str = "", name: str = "account") -> Optional[str]:
    """Keys accepted by ``sts:GetCallerIdentity``; both empty (default chain) is allowed."""
    key_id = (fields.get("aws_access_key_id") or "").strip()
    secret = (fields.get("aws_secret_access_key") or "").strip()
    if not key_id and not secret:
        return None  # the host's default chain: checked where the input runs (doctor)
    if not key_id or not secret:
        return ("Enter both the access key ID and the secret access key, or leave both empty to use the "
                "host's default AWS credentials.")
    proxy = _proxy(splunkd)
    account = AccountConfig(name, key_id, secret)
    result = checks.check_credentials(account, "us-east-1", proxy, sts_endpoint_url, _QUICK)
    if result.code in REJECTED_KEY_CODES and not sts_endpoint_url:
        # An account has no region: keys of the China or GovCloud partitions are unknown to
        # the global STS. Refuse only when no partition that answers accepts them.
        for region in _OTHER_PARTITIONS:
            other = checks.check_credentials(account, region, proxy, "", _QUICK.merge(_ONE_TRY))
            if other.status != FAIL:
                return None
    if result.status == FAIL and result.code in DEFINITIVE_CODES:
        return (f"AWS rejected these keys ({result.code}): enter the current access key ID and secret access "
                "key of the IAM user (IAM console > Users > Security credentials).")
    if result.status == FAIL:
        log.warning("account %s not checked: AWS STS not reachable from here (%s)",
                    one_line(name), one_line(result.code))
    return None


@_one_line
def check_role(fields: Mapping[str, str]) -> Optional[str]:
    """The role ARN and session duration are well formed (a role stanza names no account to assume it with)."""
    try:
        parse_role("role", fields)
    except ConfigError as exc:
        return f"{exc}"
    return None


@_one_line
def check_input(name: str, params: Mapping[str, str], splunkd: SplunkdConfig) -> Optional[str]:
    """Parameters valid, account and roles exist, roles assumable with the account (``iam_role``
    and ``bucket_iam_role``), queue readable, and with ``checkpoint_store = dynamodb`` the table
    usable (exists, key ``pk``, item actions)."""
    try:
        cfg = parse_input(name, params)
    except ConfigError as exc:
        return str(exc)
    try:
        fields = splunkd.account(cfg.account)
    except SplunkdConfigError as exc:
        return f"account: {exc}"
    account = AccountConfig(cfg.account, (fields.get("aws_access_key_id") or "").strip(),
                            (fields.get("aws_secret_access_key") or "").strip())
    role = None
    if cfg.iam_role:
        try:
            role = parse_role(cfg.iam_role, splunkd.iam_role(cfg.iam_role))
        except (SplunkdConfigError, ConfigError) as exc:
            return f"iam_role: {exc}"
    bucket_role = None
    if cfg.bucket_iam_role:
        try:
            bucket_role = parse_role(cfg.bucket_iam_role, splunkd.iam_role(cfg.bucket_iam_role))
        except (SplunkdConfigError, ConfigError) as exc:
            return f"bucket_iam_role: {exc}"
    settings = Settings(account, role, _proxy(splunkd), bucket_role=bucket_role)
    result, connection = checks.check_role(cfg, settings, _QUICK)
    if connection is None:
        return _refusal(result, "iam_role")
    if bucket_role is not None:
        bucket_result, bucket_connection = check_bucket_role(cfg, settings, _QUICK)
        if bucket_connection is None:
            return _refusal(bucket_result, "bucket_iam_role")
    results, _ = checks.check_queue(cfg, connection.queue)
    if results[0].status == FAIL:
        return _refusal(results[0], "sqs_queue_url")
    table_results = check_checkpoint_table(cfg, connection)
    for result in table_results:
        if result.status == FAIL and result.code in DEFINITIVE_CODES | TABLE_CODES:
            return f"checkpoint_table: {result.message}"
    for warning in (r for r in results + table_results if r.status in (WARN, FAIL)):
        log.warning("input %s saved with a warning: %s", one_line(cfg.name), one_line(warning.line()))
    return None


def _refusal(result, parameter: str) -> Optional[str]:
    if result.code in DEFINITIVE_CODES:
        return f"{parameter}: {result.message}"
    log.warning("input check could not reach AWS (%s); saving anyway: %s",
                one_line(result.code), one_line(result.line()))
    return None
