"""AWS sessions and clients: every boto3 client of the add-on is built here.

- :func:`build_session`: the account's keys (or the host's default chain), then the IAM
  role assumed with them (external id, session duration) and refreshed before expiry;
  proxy and private endpoints applied to STS, SQS and S3 alike.
- :func:`build_clients`: with a ``bucket_iam_role``, a second session assumes that role
  with the account's credentials (its own external id, session duration and refresh) and
  the S3 client (GetObject, ListBucket, and so KMS decryption) is built from it, while the
  queue and the checkpoint table stay with ``iam_role`` (or the account).

The calls made with these clients are wrapped in :mod:`.aws` (:class:`.aws.Queue`,
:class:`.aws.ObjectStore`); :mod:`.wiring` builds an input's clients here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Optional

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials

from .accounts import AccountConfig, ProxyConfig, RoleConfig
from .aws import AWS_ERRORS, wrap_error
from .config import InputConfig, queue_base_url
from .http_dates import install as fast_http_dates
from .retry import AWS_CALL_ATTEMPTS, DYNAMODB_CALL_ATTEMPTS

__all__ = ["AwsClients", "botocore_config", "build_session", "build_clients", "dynamodb_client", "queue_endpoint",
           "cloudtrail_client", "sts_client"]

_SESSION_NAME = re.compile(r"[^\w+=,.@-]")


def botocore_config(proxy: ProxyConfig, pool_size: int = 10) -> Config:
    """Retries, timeouts and proxy shared by every client."""
    kwargs: Dict[str, Any] = dict(
        retries={"mode": "standard", "max_attempts": AWS_CALL_ATTEMPTS},
        connect_timeout=10,
        read_timeout=40,
        max_pool_connections=max(pool_size, 10),
        user_agent_extra="TA_sqs_s3_audit",
    )
    if proxy.enabled:  # HTTP only: accounts.parse_proxy refuses any other proxy_type
        url = proxy.url()
        kwargs["proxies"] = {"http": url, "https": url}
    return Config(**kwargs)


def sts_client(session: boto3.Session, sts_endpoint_url: str, config: Optional[Config]):
    """An ``sts`` client of ``session`` (its region), at ``sts_endpoint_url`` when set."""
    return session.client("sts", endpoint_url=sts_endpoint_url or None, config=config)


def _session_name(input_name: str) -> str:
    return _SESSION_NAME.sub("-", f"splunk-sqs-s3-audit-{input_name}")[:64]


def build_session(
    account: AccountConfig,
    role: Optional[RoleConfig],
    region: str,
    config: Config,
    sts_endpoint_url: str = "",
    session_name: str = "splunk-sqs-s3-audit",
) -> boto3.Session:
    """A boto3 session with the account's credentials, or the role assumed with them.

    The role's credentials refresh by themselves a while before they expire (a third of
    the session duration, at most 15 minutes), so no call ever fails on expiry.

    Raises:
        AwsCallError: ``sts:AssumeRole`` failed (with a hint on the trust policy).
    """
    if account.uses_default_chain:
        base = boto3.Session(region_name=region)
    else:
        base = boto3.Session(
            aws_access_key_id=account.access_key_id,
            aws_secret_access_key=account.secret_access_key,
            region_name=region,
        )
    if role is None:
        return base
    sts = sts_client(base, sts_endpoint_url, config)

    def assume() -> Dict[str, str]:
        kwargs: Dict[str, Any] = {
            "RoleArn": role.role_arn,
            "RoleSessionName": session_name,
            "DurationSeconds": role.session_duration,
        }
        if role.external_id:
            kwargs["ExternalId"] = role.external_id
        try:
            creds = sts.assume_role(**kwargs)["Credentials"]
        except AWS_ERRORS as exc:
            raise wrap_error("sts:AssumeRole", exc, role.role_arn) from None
        expiry = creds["Expiration"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": expiry.isoformat() if hasattr(expiry, "isoformat") else str(expiry),
        }

    duration = role.session_duration
    credentials = RefreshableCredentials.create_from_metadata(
        metadata=assume(),
        refresh_using=assume,
        method="sts-assume-role",
        advisory_timeout=min(15 * 60, duration // 3),
        mandatory_timeout=min(10 * 60, duration // 6),
    )
    core = botocore.session.Session()
    core._credentials = credentials  # the documented way to hand botocore custom refreshable credentials
    core.set_config_variable("region", region)
    return boto3.Session(botocore_session=core, region_name=region)


@dataclass
class AwsClients:
    """The input's clients. ``session`` reads the queue (``iam_role`` or the account);
    ``bucket_session`` made ``s3`` (the ``bucket_iam_role`` session, else ``session``)."""

    sqs: Any
    s3: Any
    session: boto3.Session
    dynamodb: Any = None  # only with checkpoint_store = dynamodb
    bucket_session: Optional[boto3.Session] = None
    config: Optional[Config] = None  # what the S3 client was built with (proxy, timeouts, overrides)


# Checkpoint calls are small and on the write path: fail over to the input's own retries
# (and a clean stop within 10 s) sooner than the long S3 reads may.
_DYNAMODB_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard",
                                                                               "max_attempts": DYNAMODB_CALL_ATTEMPTS})


def dynamodb_client(session: boto3.Session, cfg: InputConfig, config: Config):
    """The checkpoint table's client: the input's session (credentials, role), proxy and region."""
    return session.client("dynamodb", region_name=cfg.region, endpoint_url=cfg.dynamodb_endpoint_url or None,
                          config=config.merge(_DYNAMODB_CONFIG))


def cloudtrail_client(session: boto3.Session, region: str, proxy: ProxyConfig, overrides: Optional[Config] = None):
    """A ``cloudtrail`` client (``ListPublicKeys``) of ``session`` in ``region``; boto3 resolves the
    endpoint (``AWS_ENDPOINT_URL_CLOUDTRAIL`` overrides it)."""
    config = botocore_config(proxy)
    return session.client("cloudtrail", region_name=region,
                          config=config.merge(overrides) if overrides is not None else config)


def queue_endpoint(cfg: InputConfig) -> Optional[str]:
    if cfg.sqs_endpoint_url:
        return cfg.sqs_endpoint_url
    base = queue_base_url(cfg.sqs_queue_url)
    if base.endswith(".amazonaws.com") or base.endswith(".amazonaws.com.cn"):
        return None  # boto3 resolves the regional endpoint (or AWS_ENDPOINT_URL_SQS)
    return base  # a custom or emulated endpoint


def build_clients(cfg: InputConfig, account: AccountConfig, role: Optional[RoleConfig],
                  proxy: ProxyConfig, bucket_role: Optional[RoleConfig] = None,
                  overrides: Optional[Config] = None) -> AwsClients:
    """The queue's, the bucket's and the checkpoint table's clients (see the module docstring).

    ``overrides`` (timeouts, retries) go over every client's configuration: the checks on
    save use short ones so that a save answers within seconds.

    Raises:
        AwsCallError: ``sts:AssumeRole`` of either role failed (the error names the role's ARN).
    """
    # Connection pools sized to what runs at once: S3, one GetObject per worker (and the
    # doctor's or a digest's read); SQS, the receivers (one per 4 workers), the fates, the
    # visibility keeper and the queue watch. A pool too small makes urllib3 open and drop a
    # connection per call (a TCP, or TLS, handshake each time).
    config = botocore_config(proxy, pool_size=cfg.max_workers + 2)
    sqs_config = botocore_config(proxy, pool_size=(cfg.max_workers + 3) // 4 + 4)
    if overrides is not None:
        config, sqs_config = config.merge(overrides), sqs_config.merge(overrides)
    session = build_session(
        account, role, cfg.region, config, cfg.sts_endpoint_url, _session_name(cfg.name)
    )
    sqs = session.client("sqs", region_name=cfg.region, endpoint_url=queue_endpoint(cfg), config=sqs_config)
    bucket_session = session
    if bucket_role is not None:
        bucket_session = build_session(account, bucket_role, cfg.region, config, cfg.sts_endpoint_url,
                                       _session_name(cfg.name + "-bucket"))
    s3 = bucket_session.client("s3", region_name=cfg.region, endpoint_url=cfg.s3_endpoint_url or None, config=config)
    for used in {id(session): session, id(bucket_session): bucket_session}.values():
        fast_http_dates(used)  # LastModified without dateutil (http_dates.py)
    dynamodb = dynamodb_client(session, cfg, config) if cfg.checkpoint_store == "dynamodb" else None
    return AwsClients(sqs=sqs, s3=s3, session=session, dynamodb=dynamodb, bucket_session=bucket_session,
                      config=config)


