"""SQS message bodies -> the S3 objects they announce.

Forms understood (AWS's "Event message structure" of S3 event notifications,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html;
SNS's "Amazon SNS message and JSON formats",
https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html; the samples in
tests/fixtures/samples/):

- S3 event notification sent straight to SQS (``Records[].s3``). Keys are form-URL-encoded
  (``+`` is a space, ``%2B`` a plus); only ``ObjectCreated:*`` records name objects to read.
- The same wrapped in an SNS envelope (``Type: Notification``, ``Message`` a JSON string),
  and SNS raw delivery (the bare S3 event).
- EventBridge "Object Created" events (``detail.object.key``, ``etag``, ``version-id``).
- CloudTrail's own SNS notification (``s3Bucket`` + ``s3ObjectKey`` list, keys not encoded).
- CrowdStrike Falcon Data Replicator messages (``bucket`` + ``files[].path``, see
  :mod:`.notification_fdr`): every listed file is an object to read, with the size and
  checksum to check it against and the log type its folder names.
- ``s3:TestEvent``: sent once when a notification is configured; no objects.
- AWS Config's notifications (SNS ``Message`` with a ``messageType``, see
  :func:`_parse_config`): the two delivery-completed messages and the oversized item
  notification name an S3 object; every other Config message is a record itself
  (:class:`InlineRecord`, log type ``config_notification``).
- Any other SNS message (a topic shared with alarms, other services, people): it names
  no S3 object and never will, so it is *unrelated* (``Notification.unrelated`` says
  which topic and subject sent it) rather than an error.

Anything else raises :class:`NotificationError`, whose message carries a short excerpt.

Whoever can send to the queue writes the message, so every parsed notification goes through
one check (:func:`_vet`) whatever its shape: a key longer than S3's 1,024 UTF-8 bytes, a
bucket name longer than S3 allows, or a bucket outside ``allowed_buckets`` refuses the whole
message. With an SNS validator (``validate_sns_signature``), only SNS envelopes whose
signature verifies are accepted: a bare S3, EventBridge, CloudTrail or AWS Config body, and
an envelope without its ``TopicArn``, are refused.
"""

from __future__ import annotations

import json
from typing import Callable, Optional, Sequence

from .buckets import bucket_allowed, describe
from .errors import NotificationError
from .logtypes.config_notification import MESSAGE_TYPES
from .notification_fdr import is_fdr, parse_fdr
from .notification_s3 import parse_cloudtrail_sns, parse_eventbridge, parse_s3_records
from .notification_types import (CONFIG, MAX_BUCKET_CHARS, MAX_KEY_BYTES, MAX_TOPIC_CHARS, SNS_UNRELATED, TEST_EVENT,
                                 InlineRecord, Notification, ObjectRef, excerpt, short)
from .timestamps import iso8601_to_epoch

__all__ = ["parse_notification", "TEST_EVENT"]



def parse_notification(
    body: str, sns_validator: Optional[Callable[[dict], None]] = None, allowed_buckets: Sequence[str] = ()
) -> Notification:
    """Parse an SQS message body.

    Args:
        body: the message body.
        sns_validator: when set, only SNS envelopes are accepted, each called with it before
            it is trusted; it raises :class:`NotificationError` when the signature does not
            verify. Every other body is refused.
        allowed_buckets: bucket name patterns (see :mod:`.buckets`); empty: any bucket.

    Raises:
        NotificationError: the body is no notification this add-on understands, or one
            it must not act on (unsigned, a key too long, a bucket not allowed).
    """
    note = _parse(body, sns_validator)
    _vet(note, allowed_buckets)
    return note


def _vet(note: Notification, allowed_buckets: Sequence[str]) -> None:
    """The checks every notification shape goes through, on every bucket and key it names."""
    for bucket, key in note.named():
        if len(bucket) > MAX_BUCKET_CHARS:
            raise NotificationError(f"bucket name of {len(bucket)} characters is longer than S3 allows: "
                                    f"{short(bucket)!r}")
        size = len(key.encode("utf-8", "surrogatepass"))
        if size > MAX_KEY_BYTES:
            raise NotificationError(f"object key of {size} bytes is longer than S3's {MAX_KEY_BYTES}-byte limit "
                                    f"(s3://{short(bucket, 80)}/{short(key)})")
        if not bucket_allowed(allowed_buckets, bucket):
            raise NotificationError(f"bucket {short(bucket, 80)!r} is not in allowed_buckets "
                                    f"({short(describe(allowed_buckets), 200)}): nothing was read")


def _parse(body: str, sns_validator: Optional[Callable[[dict], None]]) -> Notification:
    try:
        doc = json.loads(body)
    except (TypeError, ValueError):
        raise NotificationError(f"message body is not JSON: {excerpt(body)!r}") from None
    if not isinstance(doc, dict):
        raise NotificationError(f"message body is not a JSON object: {excerpt(body)!r}")

    if doc.get("Type") == "SubscriptionConfirmation":
        raise NotificationError(
            f"SNS subscription confirmation for {excerpt(str(doc.get('TopicArn')), 200)}: confirm the "
            "subscription of this queue to the topic in the SNS console"
        )
    envelope = doc.get("Type") == "Notification" and "Message" in doc
    if sns_validator is not None:
        if not envelope:
            raise NotificationError(f"not a signed SNS notification, and validate_sns_signature is on (only SNS "
                                    f"envelopes whose signature verifies are accepted): {excerpt(body)!r}")
        sns_validator(doc)  # an envelope without TopicArn cannot verify: refused here
    elif not (envelope and "TopicArn" in doc):
        return _parse_document(doc, body)
    message = doc.get("Message")
    try:
        inner = json.loads(message) if isinstance(message, str) else message
    except ValueError:
        inner = None
    if not isinstance(inner, dict) or not _is_known_document(inner):
        return Notification(kind=SNS_UNRELATED, unrelated=_describe_sns(doc, inner))
    note = _parse_document(inner, body, envelope=doc)
    note.kind = "sns+" + note.kind
    return note


def _is_known_document(doc: dict) -> bool:
    """Whether an SNS message is one of the forms this add-on reads (else: unrelated)."""
    return (
        doc.get("Event") == "s3:TestEvent"
        or "Records" in doc
        or (doc.get("source") == "aws.s3" and "detail" in doc)
        or ("s3Bucket" in doc and "s3ObjectKey" in doc)
        or doc.get("messageType") in MESSAGE_TYPES
        or is_fdr(doc)
    )


def _describe_sns(envelope: dict, inner: object) -> str:
    """Which topic sent an unrelated SNS message, and what it was (for the admin's log)."""
    parts = [f"TopicArn={short(str(envelope.get('TopicArn')), MAX_TOPIC_CHARS)}",
             f"Subject={excerpt(envelope.get('Subject') or '', 80)!r}"]
    if isinstance(inner, dict):
        kind = inner.get("messageType") or inner.get("detail-type") or inner.get("Event") or inner.get("AlarmName")
        if kind:
            parts.append(f"type={excerpt(str(kind), 80)!r}")
        else:
            parts.append("keys=" + ",".join(sorted(str(k) for k in inner)[:8]))
    else:
        parts.append("message is not a JSON object")
    return " ".join(parts)


def _parse_document(doc: dict, body: str, envelope: Optional[dict] = None) -> Notification:
    if doc.get("Event") == "s3:TestEvent":
        return Notification(kind=TEST_EVENT)
    if doc.get("messageType") in MESSAGE_TYPES:
        return _parse_config(doc, body, envelope or {})
    if isinstance(doc.get("Records"), list):
        return parse_s3_records(doc["Records"], body)
    if doc.get("source") == "aws.s3" and isinstance(doc.get("detail"), dict):
        return parse_eventbridge(doc, body)
    if "s3Bucket" in doc and "s3ObjectKey" in doc:
        return parse_cloudtrail_sns(doc, body)
    if is_fdr(doc):
        return parse_fdr(doc, body)
    raise NotificationError(f"unknown notification format: {excerpt(body)!r}")


def _parse_config(doc: dict, body: str, envelope: dict) -> Notification:
    """AWS Config's notifications ("Notifications that AWS Config sends to an Amazon SNS
    topic"). Keys are given as S3 stores them (``AWS::EC2::Volume``), not URL-encoded.

    - ``ConfigurationHistoryDeliveryCompleted``, ``ConfigurationSnapshotDeliveryCompleted``:
      the object in ``s3Bucket`` + ``s3ObjectKey`` (one key, a string);
    - ``OversizedConfigurationItemChangeNotification``: the object in
      ``s3DeliverySummary.s3BucketLocation`` (``bucket/key``); when Config could not store
      it there (``errorCode``), the summary message itself is the record;
    - every other message type (item changes, compliance changes, evaluation and
      delivery status): the message is the record.
    """
    message_type = doc["messageType"]
    if message_type in ("ConfigurationHistoryDeliveryCompleted", "ConfigurationSnapshotDeliveryCompleted"):
        bucket, key = doc.get("s3Bucket"), doc.get("s3ObjectKey")
        if isinstance(key, list) and len(key) == 1:
            key = key[0]
        if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
            raise NotificationError(
                f"AWS Config {message_type} without s3Bucket and one s3ObjectKey: {excerpt(body)!r}"
            )
        return Notification(kind=CONFIG, objects=[ObjectRef(
            bucket=bucket, key=key, event_time=iso8601_to_epoch(doc.get("notificationCreationTime")))])
    if message_type == "OversizedConfigurationItemChangeNotification":
        summary = doc.get("s3DeliverySummary") if isinstance(doc.get("s3DeliverySummary"), dict) else {}
        location = summary.get("s3BucketLocation")
        if isinstance(location, str) and "/" in location.strip("/"):
            bucket, key = location.strip("/").split("/", 1)
            return Notification(kind=CONFIG, objects=[ObjectRef(
                bucket=bucket, key=key, event_time=iso8601_to_epoch(doc.get("notificationCreationTime")))])
        if not summary.get("errorCode"):
            raise NotificationError(f"AWS Config {message_type} without s3DeliverySummary.s3BucketLocation: "
                                    f"{excerpt(body)!r}")
    record = InlineRecord(source=str(envelope.get("TopicArn") or ""), message_id=str(envelope.get("MessageId") or ""),
                          log_type="config_notification", value=doc)
    return Notification(kind=CONFIG, records=[record])
