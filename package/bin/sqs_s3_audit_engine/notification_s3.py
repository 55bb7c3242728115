"""Message bodies that name S3 objects: S3 event notifications (``Records[].s3``), EventBridge
"Object Created" events and CloudTrail's own SNS notification.

Shapes: AWS's "Event message structure"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
"Using EventBridge" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html) and
the samples in tests/fixtures/samples/. S3 event keys are form-URL-encoded (``+`` is a space,
``%2B`` a plus); EventBridge and CloudTrail keys are not. Only ``ObjectCreated:*`` records name
objects to read; the others are kept as ignored.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import unquote_plus

from .errors import NotificationError
from .notification_types import CLOUDTRAIL_SNS, EVENTBRIDGE, S3_EVENT, Notification, ObjectRef, excerpt
from .timestamps import iso8601_to_epoch

__all__ = ["parse_s3_records", "parse_eventbridge", "parse_cloudtrail_sns"]


def parse_s3_records(records: list, body: str) -> Notification:
    note = Notification(kind=S3_EVENT)
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("s3"), dict):
            raise NotificationError(f"S3 event record without an s3 object: {excerpt(body)!r}")
        s3 = record["s3"]
        bucket = (s3.get("bucket") or {}).get("name")
        obj = s3.get("object") or {}
        raw_key = obj.get("key")
        if not bucket or raw_key is None:
            raise NotificationError(f"S3 event record without bucket name or object key: {excerpt(body)!r}")
        key = unquote_plus(raw_key)
        event_name = str(record.get("eventName") or "")
        if not event_name.startswith("ObjectCreated:"):
            note.ignore(event_name or "unnamed event", bucket, key)
            continue
        note.objects.append(
            ObjectRef(
                bucket=bucket,
                key=key,
                version_id=obj.get("versionId") or "",
                etag=obj.get("eTag") or "",
                size=_int_or_none(obj.get("size")),
                event_time=iso8601_to_epoch(record.get("eventTime")),
            )
        )
    return note


def parse_eventbridge(doc: dict, body: str) -> Notification:
    note = Notification(kind=EVENTBRIDGE)
    detail = doc["detail"]
    bucket = (detail.get("bucket") or {}).get("name")
    obj = detail.get("object") or {}
    key = obj.get("key")
    if not bucket or key is None:
        raise NotificationError(f"EventBridge S3 event without bucket name or object key: {excerpt(body)!r}")
    if doc.get("detail-type") != "Object Created":
        note.ignore(str(doc.get("detail-type")), str(bucket), str(key))
        return note
    note.objects.append(
        ObjectRef(
            bucket=bucket,
            key=key,
            version_id=obj.get("version-id") or "",
            etag=obj.get("etag") or "",
            size=_int_or_none(obj.get("size")),
            event_time=iso8601_to_epoch(doc.get("time")),
        )
    )
    return note


def parse_cloudtrail_sns(doc: dict, body: str) -> Notification:
    bucket = doc.get("s3Bucket")
    keys = doc.get("s3ObjectKey")
    if isinstance(keys, str):
        keys = [keys]
    if not bucket or not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise NotificationError(f"CloudTrail notification without s3Bucket or s3ObjectKey list: {excerpt(body)!r}")
    return Notification(kind=CLOUDTRAIL_SNS, objects=[ObjectRef(bucket=bucket, key=k) for k in keys])


def _int_or_none(value) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
