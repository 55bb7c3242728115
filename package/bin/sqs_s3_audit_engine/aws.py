"""AWS sessions and one small wrapper per capability the collector needs.

- :func:`build_session`: the account's keys (or the host's default chain), then the IAM
  role assumed with them (external id, session duration) and refreshed before expiry;
  proxy and private endpoints applied to STS, SQS and S3 alike.
- :func:`build_clients`: with a ``bucket_iam_role``, a second session assumes that role
  with the account's credentials (its own external id, session duration and refresh) and
  the S3 client (GetObject, ListBucket, and so KMS decryption) is built from it, while the
  queue and the checkpoint table stay with ``iam_role`` (or the account).
- :class:`Queue`: receive, delete, change visibility, attributes.
- :class:`ObjectStore`: get an object as a stream.

Every wrapper turns botocore errors into :class:`AwsCallError` naming the call and, for
permission errors, the action that is missing. boto3's standard retry mode (exponential
backoff with jitter) absorbs throttling and 5xx answers before an error surfaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError
from urllib3.exceptions import HTTPError

from .config import AccountConfig, InputConfig, ProxyConfig, RoleConfig, queue_base_url
from .aws_errors import DENIED_CODES, MISSING_QUEUE_CODES, REJECTED_KEY_CODES, RETRYABLE_CODES
from .errors import AwsCallError
from .retry import AWS_CALL_ATTEMPTS, DYNAMODB_CALL_ATTEMPTS

__all__ = ["AWS_ERRORS", "BODY_ERRORS",
           "AwsClients", "BatchFailure", "build_session", "build_clients", "dynamodb_client",
           "queue_endpoint", "Queue", "ObjectStore", "wrap_error", "is_retryable"]

# An answer that is not from AWS (a proxy's error page) surfaces as ResponseParserError,
# which is not a BotoCoreError: it is an AWS call failure all the same.
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
#: What reading a GetObject body raises when the connection drops mid-body: botocore's errors,
#: urllib3's that botocore lets through (``ProtocolError``, ``ReadTimeoutError``), and OSError.
BODY_ERRORS = AWS_ERRORS + (HTTPError, OSError)
_SESSION_NAME = re.compile(r"[^\w+=,.@-]")

_HINTS = {
    "sqs:ReceiveMessage": "grant sqs:ReceiveMessage on the queue to the role or user",
    "sqs:DeleteMessage": "grant sqs:DeleteMessage on the queue",
    "sqs:ChangeMessageVisibility": "grant sqs:ChangeMessageVisibility on the queue",
    "sqs:GetQueueAttributes": "grant sqs:GetQueueAttributes on the queue",
    "s3:GetObject": "grant s3:GetObject on the bucket's objects (arn:aws:s3:::<bucket>/*)",
    "s3:ListBucket": "grant s3:ListBucket on the bucket (arn:aws:s3:::<bucket>)",
    "sts:AssumeRole": ("the role's trust policy must allow this account/user to assume it "
                       "(and the external id must match)"),
    "sts:GetCallerIdentity": "the access key id and secret access key are not accepted: check the account",
}


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, AwsCallError):
        return exc.retryable
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0
        return code in RETRYABLE_CODES or status >= 500
    if isinstance(exc, ParamValidationError):
        return False  # the request itself is invalid (a bucket name S3 cannot have): asking again cannot help
    return isinstance(exc, (BotoConnectionError, BotoCoreError, OSError, ResponseParserError))


def wrap_error(call: str, exc: BaseException, resource: str = "") -> AwsCallError:
    """An :class:`AwsCallError` naming the call, the AWS error code and what to fix."""
    if isinstance(exc, AwsCallError):
        return exc
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "ClientError")
        message = str(err.get("Message") or exc)
    else:
        code = type(exc).__name__
        message = str(exc)
    hint = ""
    if code in DENIED_CODES:
        hint = _HINTS.get(call, f"grant {call}")
        if resource:
            hint += f" for {resource}"
        if "kms" in message.lower():
            hint = f"grant kms:Decrypt on the KMS key that encrypts {resource or 'the object'}"
    elif code in REJECTED_KEY_CODES:
        hint = "the account's access key id or secret access key is wrong, disabled or expired"
    elif code in MISSING_QUEUE_CODES:
        hint = "check sqs_queue_url and aws_region: the queue does not exist or is in another region"
    elif code == "NoCredentialsError":
        hint = "the account has no keys and the host has no default AWS credentials (instance profile, environment)"
    return AwsCallError(call, code, message, is_retryable(exc), hint)


def botocore_config(proxy: ProxyConfig, pool_size: int = 10) -> Config:
    """Retries, timeouts and proxy shared by every client."""
    kwargs: Dict[str, Any] = dict(
        retries={"mode": "standard", "max_attempts": AWS_CALL_ATTEMPTS},
        connect_timeout=10,
        read_timeout=40,
        max_pool_connections=max(pool_size, 10),
        user_agent_extra="TA_sqs_s3_audit",
    )
    if proxy.enabled:  # HTTP only: config.parse_proxy refuses any other proxy_type
        url = proxy.url()
        kwargs["proxies"] = {"http": url, "https": url}
    return Config(**kwargs)


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
    sts = base.client("sts", endpoint_url=sts_endpoint_url or None, config=config)

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


# Checkpoint calls are small and on the write path: fail over to the input's own retries
# (and a clean stop within 10 s) sooner than the long S3 reads may.
_DYNAMODB_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard",
                                                                               "max_attempts": DYNAMODB_CALL_ATTEMPTS})


def dynamodb_client(session: boto3.Session, cfg: InputConfig, config: Config):
    """The checkpoint table's client: the input's session (credentials, role), proxy and region."""
    return session.client("dynamodb", region_name=cfg.region, endpoint_url=cfg.dynamodb_endpoint_url or None,
                          config=config.merge(_DYNAMODB_CONFIG))


def queue_endpoint(cfg: InputConfig) -> Optional[str]:
    if cfg.sqs_endpoint_url:
        return cfg.sqs_endpoint_url
    base = queue_base_url(cfg.sqs_queue_url)
    if base.endswith(".amazonaws.com") or base.endswith(".amazonaws.com.cn"):
        return None  # boto3 resolves the regional endpoint (or AWS_ENDPOINT_URL_SQS)
    return base  # a custom or emulated endpoint


def build_clients(cfg: InputConfig, account: AccountConfig, role: Optional[RoleConfig],
                  proxy: ProxyConfig, bucket_role: Optional[RoleConfig] = None) -> AwsClients:
    """The queue's, the bucket's and the checkpoint table's clients (see the module docstring).

    Raises:
        AwsCallError: ``sts:AssumeRole`` of either role failed (the error names the role's ARN).
    """
    # Connection pools sized to what runs at once: S3, one GetObject per worker (and the
    # doctor's or a digest's read); SQS, the receivers (one per 4 workers), the fates, the
    # visibility keeper and the queue watch. A pool too small makes urllib3 open and drop a
    # connection per call (a TCP, or TLS, handshake each time).
    config = botocore_config(proxy, pool_size=cfg.max_workers + 2)
    sqs_config = botocore_config(proxy, pool_size=(cfg.max_workers + 3) // 4 + 4)
    session = build_session(
        account, role, cfg.region, config, cfg.sts_endpoint_url, _session_name(cfg.name)
    )
    sqs = session.client("sqs", region_name=cfg.region, endpoint_url=queue_endpoint(cfg), config=sqs_config)
    bucket_session = session
    if bucket_role is not None:
        bucket_session = build_session(account, bucket_role, cfg.region, config, cfg.sts_endpoint_url,
                                       _session_name(cfg.name + "-bucket"))
    s3 = bucket_session.client("s3", region_name=cfg.region, endpoint_url=cfg.s3_endpoint_url or None, config=config)
    dynamodb = dynamodb_client(session, cfg, config) if cfg.checkpoint_store == "dynamodb" else None
    return AwsClients(sqs=sqs, s3=s3, session=session, dynamodb=dynamodb, bucket_session=bucket_session)


@dataclass(frozen=True)
class BatchFailure:
    """One entry of a batch call that SQS refused. ``sender_fault`` False means an SQS-side
    failure worth retrying; True (an invalid or expired receipt handle) will not change."""

    code: str
    message: str
    sender_fault: bool

    @property
    def retryable(self) -> bool:
        return not self.sender_fault or self.code in RETRYABLE_CODES


def _failures(answer: dict, receipts: Dict[str, str]) -> Dict[str, BatchFailure]:
    failed = {f.get("Id", ""): BatchFailure(str(f.get("Code", "")), str(f.get("Message", "")),
                                            bool(f.get("SenderFault")))
              for f in answer.get("Failed", []) or []}
    done = {s.get("Id") for s in answer.get("Successful", []) or []}
    for entry_id in receipts:  # an entry named in neither list was not carried out
        if entry_id not in done and entry_id not in failed:
            failed[entry_id] = BatchFailure("NotInAnswer", "the batch answer did not name this entry", False)
    return failed


class Queue:
    """The SQS queue: the calls the collector makes (deletes and visibility changes singly
    or batched, up to 10 entries per call)."""

    def __init__(self, client, url: str):
        self.client = client
        self.url = url

    def receive(self, max_messages: int, wait_seconds: int, visibility_timeout: Optional[int] = None) -> List[dict]:
        kwargs: Dict[str, Any] = {
            "QueueUrl": self.url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": wait_seconds,
            "AttributeNames": ["ApproximateReceiveCount", "SentTimestamp"],
        }
        if visibility_timeout:
            kwargs["VisibilityTimeout"] = visibility_timeout
        try:
            return self.client.receive_message(**kwargs).get("Messages", [])
        except AWS_ERRORS as exc:
            raise wrap_error("sqs:ReceiveMessage", exc, self.url) from None

    def sibling(self, url: str) -> "Queue":
        """Another queue reached with the same client (the dead-letter queue)."""
        return Queue(self.client, url)

    def change_visibility(self, receipt_handle: str, seconds: int) -> None:
        try:
            self.client.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
            )
        except AWS_ERRORS as exc:
            raise wrap_error("sqs:ChangeMessageVisibility", exc, self.url) from None

    def delete_batch(self, receipts: Dict[str, str]) -> Dict[str, BatchFailure]:
        """``DeleteMessageBatch`` of at most 10 ``{entry id: receipt handle}``; returns the
        entries that failed, by id (the others are deleted).

        Raises:
            AwsCallError: the call itself failed (no entry is known to be deleted).
        """
        entries = [{"Id": i, "ReceiptHandle": r} for i, r in receipts.items()]
        try:
            answer = self.client.delete_message_batch(QueueUrl=self.url, Entries=entries)
        except AWS_ERRORS as exc:
            raise wrap_error("sqs:DeleteMessage", exc, self.url) from None
        return _failures(answer, receipts)

    def change_visibility_batch(self, receipts: Dict[str, str], seconds: int) -> Dict[str, BatchFailure]:
        """``ChangeMessageVisibilityBatch`` of at most 10 entries to ``seconds``; returns the
        entries that failed, by id.

        Raises:
            AwsCallError: the call itself failed.
        """
        entries = [{"Id": i, "ReceiptHandle": r, "VisibilityTimeout": seconds} for i, r in receipts.items()]
        try:
            answer = self.client.change_message_visibility_batch(QueueUrl=self.url, Entries=entries)
        except AWS_ERRORS as exc:
            raise wrap_error("sqs:ChangeMessageVisibility", exc, self.url) from None
        return _failures(answer, receipts)

    def attributes(self, names: List[str]) -> Dict[str, str]:
        try:
            return self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=names).get("Attributes", {})
        except AWS_ERRORS as exc:
            raise wrap_error("sqs:GetQueueAttributes", exc, self.url) from None


class ObjectStore:
    """S3 reads: GetObject, and the listing a backfill walks. Its client may be the
    bucket's own (``bucket_iam_role``), distinct from the queue's."""

    def __init__(self, client):
        self.client = client

    def get(self, bucket: str, key: str, version_id: str = "") -> dict:
        """GetObject; the response's ``Body`` is a stream read in chunks."""
        kwargs: Dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            return self.client.get_object(**kwargs)
        except AWS_ERRORS as exc:
            raise wrap_error("s3:GetObject", exc, f"s3://{bucket}/{key}") from None

    def head(self, bucket: str, key: str) -> dict:
        """``HeadObject`` (allowed by ``s3:GetObject``): ``VersionId``, ``ETag``..., no body."""
        try:
            return self.client.head_object(Bucket=bucket, Key=key)
        except AWS_ERRORS as exc:
            raise wrap_error("s3:GetObject", exc, f"s3://{bucket}/{key}") from None

    def list_objects(self, bucket: str, prefix: str = "", start_after: str = "") -> Iterator[dict]:
        """``ListObjectsV2`` entries (``Key``, ``LastModified``, ``ETag``, ``Size``) in key order.

        Raises:
            AwsCallError: ``s3:ListBucket`` failed (while iterating).
        """
        kwargs: Dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if start_after:
            kwargs["StartAfter"] = start_after
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(**kwargs):
                yield from page.get("Contents", [])
        except AWS_ERRORS as exc:
            raise wrap_error("s3:ListBucket", exc, f"arn:aws:s3:::{bucket}") from None
