"""AWS calls: one small wrapper per capability the collector needs, and their errors.

- :class:`Queue`: receive, delete, change visibility, attributes.
- :class:`ObjectStore`: get an object as a stream, head, list.

Every wrapper turns botocore errors into :class:`AwsCallError` naming the call and, for
permission errors, the action that is missing. boto3's standard retry mode (exponential
backoff with jitter) absorbs throttling and 5xx answers before an error surfaces. The
clients they wrap are built in :mod:`.aws_clients`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError
from urllib3.exceptions import HTTPError

from .aws_errors import DENIED_CODES, MISSING_QUEUE_CODES, REJECTED_KEY_CODES, RETRYABLE_CODES
from .errors import AwsCallError

__all__ = ["AWS_ERRORS", "BODY_ERRORS", "BatchFailure", "Queue", "ObjectStore", "Identity", "wrap_error",
           "is_retryable"]

# An answer that is not from AWS (a proxy's error page) surfaces as ResponseParserError,
# which is not a BotoCoreError: it is an AWS call failure all the same.
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
#: What reading a GetObject body raises when the connection drops mid-body: botocore's errors,
#: urllib3's that botocore lets through (``ProtocolError``, ``ReadTimeoutError``), and OSError.
BODY_ERRORS = AWS_ERRORS + (HTTPError, OSError)

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

    def list_objects(self, bucket: str, prefix: str = "", start_after: str = "",
                     page_size: Optional[int] = None) -> Iterator[dict]:
        """``ListObjectsV2`` entries (``Key``, ``LastModified``, ``ETag``, ``Size``) in key order,
        ``page_size`` keys per call (S3's default, 1,000, when None).

        Raises:
            AwsCallError: ``s3:ListBucket`` failed (while iterating).
        """
        kwargs: Dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if start_after:
            kwargs["StartAfter"] = start_after
        if page_size:
            kwargs["PaginationConfig"] = {"PageSize": page_size}
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(**kwargs):
                yield from page.get("Contents", [])
        except AWS_ERRORS as exc:
            raise wrap_error("s3:ListBucket", exc, f"arn:aws:s3:::{bucket}") from None


class Identity:
    """``sts:GetCallerIdentity``: whom a session's credentials belong to (the doctor's
    credentials check, the account id in an ARN it names)."""

    def __init__(self, client):
        self.client = client

    def caller(self) -> Dict[str, str]:
        """``Account``, ``Arn`` and ``UserId`` of the caller."""
        try:
            return self.client.get_caller_identity()
        except AWS_ERRORS as exc:
            raise wrap_error("sts:GetCallerIdentity", exc) from None
