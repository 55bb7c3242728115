"""Server-side checks run when an account, a role or an input is saved in Splunk Web.

Each function returns ``None`` when the values may be saved, or the message that refuses
them (what is wrong and how to fix it). Only definitive answers refuse: when AWS cannot be
reached from the search head (no route, a VPC endpoint only the forwarder uses), the save
goes through and the doctor command is the place to check from the forwarder.
"""

from __future__ import annotations

import logging
from typing import Mapping, Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from sqs_s3_audit_engine.aws import Queue, botocore_config, build_clients, wrap_error
from sqs_s3_audit_engine.config import AccountConfig, ProxyConfig, parse_input, parse_proxy, parse_role
from sqs_s3_audit_engine.errors import AwsCallError, ConfigError

from .splunkd_config import SplunkdConfig, SplunkdConfigError

__all__ = ["check_account", "check_role", "check_input"]

log = logging.getLogger("ta_sqs_s3_audit.save_checks")

_DEFINITIVE = {
    "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId",
    "AccessDenied", "AccessDeniedException", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
    "AWS.SimpleQueueService.AccessDenied", "ValidationError", "MalformedPolicyDocument",
}


def _proxy(splunkd: Optional[SplunkdConfig]) -> ProxyConfig:
    if splunkd is None:
        return ProxyConfig()
    try:
        return parse_proxy(splunkd.proxy() or {})
    except (SplunkdConfigError, ConfigError):
        return ProxyConfig()


def check_account(fields: Mapping[str, str], splunkd: Optional[SplunkdConfig] = None,
                  sts_endpoint_url: str = "") -> Optional[str]:
    """Keys accepted by ``sts:GetCallerIdentity``; both empty (default chain) is allowed."""
    key_id = (fields.get("aws_access_key_id") or "").strip()
    secret = (fields.get("aws_secret_access_key") or "").strip()
    if not key_id and not secret:
        return None
    if not key_id or not secret:
        return "Enter both the access key ID and the secret access key, or leave both empty to use the host's default AWS credentials."
    try:
        session = boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name="us-east-1")
        quick = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=10)
        session.client("sts", endpoint_url=sts_endpoint_url or None,
                       config=botocore_config(_proxy(splunkd)).merge(quick)).get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        error = wrap_error("sts:GetCallerIdentity", exc)
        if error.code in _DEFINITIVE:
            return f"AWS rejected these keys ({error.code}): check the access key ID and secret access key of the IAM user."
        log.warning("account check could not reach AWS STS: %s", error.code)
    return None


def check_role(fields: Mapping[str, str]) -> Optional[str]:
    """The role ARN and session duration are well formed."""
    try:
        parse_role("role", fields)
    except ConfigError as exc:
        return str(exc)
    return None


def check_input(name: str, params: Mapping[str, str], splunkd: SplunkdConfig) -> Optional[str]:
    """Parameters valid, account and role exist, role assumable, queue readable."""
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
    try:
        clients = build_clients(cfg, account, role, _proxy(splunkd))
        attrs = Queue(clients.sqs, cfg.sqs_queue_url).attributes(["QueueArn", "RedrivePolicy"])
    except AwsCallError as exc:
        if exc.code in _DEFINITIVE:
            return f"{exc}"
        log.warning("input check could not reach AWS: %s %s", exc.call, exc.code)
        return None
    except (EndpointConnectionError, ConfigError) as exc:
        return str(exc) if isinstance(exc, ConfigError) else None
    if not attrs.get("RedrivePolicy"):
        log.warning("queue %s has no redrive policy (dead-letter queue); saving anyway", attrs.get("QueueArn"))
    return None
