"""Every notification form notifications.py lists, parsed as S3, SNS, EventBridge and CloudTrail send it."""

from __future__ import annotations

import json

import pytest

from sqs_s3_audit_engine.errors import NotificationError
from sqs_s3_audit_engine.notifications import parse_notification


def s3_event(key: str, bucket: str = "audit-bucket", name: str = "ObjectCreated:Put", **obj) -> dict:
    return {
        "Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-west-2",
            "eventTime": "1970-01-01T00:00:00.000Z", "eventName": name,
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "cfg",
                   "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                   "object": {"key": key, **obj}},
        }]
    }


def sns_envelope(message: dict) -> str:
    return json.dumps({
        "Type": "Notification", "MessageId": "dc1e94d9", "TopicArn": "arn:aws:sns:us-east-2:111122223333:T",
        "Subject": "Amazon S3 Notification", "Message": json.dumps(message),
        "Timestamp": "2021-02-16T21:41:19.978Z", "SignatureVersion": "1", "Signature": "x",
        "SigningCertURL": "https://sns.us-east-2.amazonaws.com/x.pem", "UnsubscribeURL": "https://x",
    })


def test_direct_s3_event_names_its_object_with_size_etag_and_version():
    note = parse_notification(json.dumps(s3_event("HappyFace.jpg", size=1024, eTag="d41d8", versionId="v1")))
    assert note.kind == "s3"
    [ref] = note.objects
    assert (ref.bucket, ref.key, ref.size, ref.etag, ref.version_id) == ("audit-bucket", "HappyFace.jpg", 1024, "d41d8", "v1")
    assert ref.event_time == 0.0


@pytest.mark.parametrize("encoded, decoded", [
    ("red+flower.jpg", "red flower.jpg"),
    ("c%2B%2B/a%2Bb.json", "c++/a+b.json"),
    ("dt%3D2024-01-01/x.json", "dt=2024-01-01/x.json"),
    ("%C3%BCber/caf%C3%A9.json.gz", "über/café.json.gz"),
])
def test_direct_s3_event_keys_are_url_decoded_as_s3_encodes_them(encoded, decoded):
    assert parse_notification(json.dumps(s3_event(encoded))).objects[0].key == decoded


def test_several_records_in_one_message_name_several_objects_and_removals_are_ignored():
    body = s3_event("a.json")
    body["Records"] += s3_event("b.json")["Records"] + s3_event("gone.json", name="ObjectRemoved:Delete")["Records"]
    note = parse_notification(json.dumps(body))
    assert [r.key for r in note.objects] == ["a.json", "b.json"]
    assert note.ignored == ["ObjectRemoved:Delete s3://audit-bucket/gone.json"]


def test_newer_event_versions_and_missing_optional_fields_are_accepted():
    body = s3_event("k.json")
    body["Records"][0]["eventVersion"] = "2.6"
    [ref] = parse_notification(json.dumps(body)).objects
    assert ref.size is None and ref.etag == "" and ref.version_id == ""


def test_test_event_has_no_objects():
    body = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2014-10-13T15:57:02.089Z",
            "Bucket": "bucketname", "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw"}
    note = parse_notification(json.dumps(body))
    assert note.kind == "s3_test_event" and note.objects == []


def test_sns_envelope_is_unwrapped_and_keys_still_decoded():
    note = parse_notification(sns_envelope(s3_event("a+b.json")))
    assert note.kind == "sns+s3"
    assert note.objects[0].key == "a b.json"


def test_sns_raw_delivery_is_the_bare_s3_event():
    assert parse_notification(json.dumps(s3_event("raw.json"))).objects[0].key == "raw.json"


def test_sns_wrapped_test_event_is_a_test_event():
    note = parse_notification(sns_envelope({"Service": "Amazon S3", "Event": "s3:TestEvent"}))
    assert note.kind == "sns+s3_test_event"


def test_eventbridge_object_created_uses_etag_and_version_id():
    body = {
        "version": "0", "id": "17793124", "detail-type": "Object Created", "source": "aws.s3",
        "account": "111122223333", "time": "2021-11-12T00:00:00Z", "region": "ca-central-1",
        "resources": ["arn:aws:s3:::bkt"],
        "detail": {"version": "0", "bucket": {"name": "bkt"},
                   "object": {"key": "example-key", "size": 5, "etag": "b1946", "version-id": "IYV3p",
                              "sequencer": "617f"},
                   "request-id": "N4N7", "requester": "123456789012", "reason": "PutObject"},
    }
    [ref] = parse_notification(json.dumps(body)).objects
    assert (ref.bucket, ref.key, ref.etag, ref.version_id, ref.size) == ("bkt", "example-key", "b1946", "IYV3p", 5)
    assert ref.event_time == 1636675200.0


def test_eventbridge_object_deleted_names_nothing():
    body = {"detail-type": "Object Deleted", "source": "aws.s3",
            "detail": {"bucket": {"name": "bkt"}, "object": {"key": "k"}}}
    assert parse_notification(json.dumps(body)).objects == []


def test_cloudtrail_sns_notification_lists_keys_without_decoding_them():
    message = {"s3Bucket": "trail-bucket", "s3ObjectKey": [
        "AWSLogs/123456789012/CloudTrail/us-east-2/2016/08/11/a+b.json.gz",
        "AWSLogs/123456789012/CloudTrail/us-east-2/2016/08/11/c.json.gz"]}
    note = parse_notification(sns_envelope(message))
    assert note.kind == "sns+cloudtrail_sns"
    assert [r.key for r in note.objects][0].endswith("/a+b.json.gz")
    assert len(note.objects) == 2


@pytest.mark.parametrize("body, words", [
    ("not json at all", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"hello": "world"}', "unknown notification format"),
    ('{"Records": [{"eventName": "x"}]}', "without an s3 object"),
])
def test_unknown_bodies_raise_an_error_with_an_excerpt(body, words):
    with pytest.raises(NotificationError) as info:
        parse_notification(body)
    assert words in str(info.value)


def test_sns_subscription_confirmation_says_what_to_do():
    body = json.dumps({"Type": "SubscriptionConfirmation", "TopicArn": "arn:aws:sns:us-east-1:1:T"})
    with pytest.raises(NotificationError, match="confirm the subscription"):
        parse_notification(body)


def test_sns_validator_is_consulted_and_can_reject():
    def reject(_envelope):
        raise NotificationError("signature does not verify")

    with pytest.raises(NotificationError, match="signature"):
        parse_notification(sns_envelope(s3_event("k")), sns_validator=reject)


# -- issue 19: keys S3 cannot hold and buckets the input must not read -------------------------------
def _s3(bucket: str, key: str, event: str = "ObjectCreated:Put") -> str:
    return json.dumps({"Records": [{"eventName": event, "s3": {"bucket": {"name": bucket},
                                                                "object": {"key": key}}}]})


def test_a_key_longer_than_1024_utf8_bytes_is_refused_with_a_shortened_key():
    from sqs_s3_audit_engine.notifications import parse_notification as parse

    assert parse(_s3("bkt", "k" * 1024)).objects[0].key == "k" * 1024
    assert parse(_s3("bkt", "\u00e9" * 512)).objects  # 1,024 bytes exactly
    for key in ("k" * 1025, "\u00e9" * 513, "AWSLogs/" + "a/" * 8668 + "x.json.gz"):
        with pytest.raises(NotificationError) as info:
            parse(_s3("bkt", key))
        assert "1024-byte limit" in str(info.value) and len(str(info.value)) < 400
    with pytest.raises(NotificationError):  # an ignored record's key too
        parse(_s3("bkt", "k" * 2000, "ObjectRemoved:Delete"))
    with pytest.raises(NotificationError):  # CloudTrail's SNS shape
        parse(json.dumps({"s3Bucket": "bkt", "s3ObjectKey": ["ok", "k" * 1025]}))


def test_allowed_buckets_refuse_a_notification_naming_another_bucket():
    from sqs_s3_audit_engine.notifications import parse_notification as parse

    allowed = ("audit-logs", "trail-*")
    assert parse(_s3("audit-logs", "k"), allowed_buckets=allowed).objects
    assert parse(_s3("trail-eu-west-1", "k"), allowed_buckets=allowed).objects
    shapes = [_s3("other", "k"), _s3("other", "k", "ObjectRemoved:Delete"),
              json.dumps({"s3Bucket": "other", "s3ObjectKey": ["k"]}),
              json.dumps({"source": "aws.s3", "detail-type": "Object Created",
                          "detail": {"bucket": {"name": "other"}, "object": {"key": "k"}}}),
              json.dumps({"messageType": "ConfigurationHistoryDeliveryCompleted", "s3Bucket": "other",
                          "s3ObjectKey": "AWSLogs/x.json.gz"})]
    for body in shapes:
        with pytest.raises(NotificationError) as info:
            parse(body, allowed_buckets=allowed)
        assert "allowed_buckets" in str(info.value)
        assert parse(body).kind  # without the list, the same body is read


def test_bucket_patterns_match_whole_names_in_linear_time():
    import time

    from sqs_s3_audit_engine.buckets import bucket_allowed, parse_allowed_buckets

    assert parse_allowed_buckets(" a-logs , trail-* ,") == ("a-logs", "trail-*")
    assert bucket_allowed((), "anything")
    assert not bucket_allowed(("trail-*",), "xtrail-1") and bucket_allowed(("*-trail",), "eu-trail")
    assert bucket_allowed(("a*b*c",), "a-x-b-y-c") and not bucket_allowed(("a*b*c",), "a-x-b-y-cd")
    started = time.process_time()
    assert not bucket_allowed(("*a" * 30 + "*b",), "a" * 255)
    assert time.process_time() - started < 1.0
    for bad in ("bad/name", "a b", "*..*"):
        with pytest.raises(Exception) as info:
            parse_allowed_buckets(bad)
        assert "allowed_buckets" in str(info.value)


def test_allowed_buckets_and_the_key_limit_apply_to_crowdstrike_fdr_messages_too():
    # The FDR shape (issue 22a) names its bucket in a field of its own; the one check covers it.
    def fdr(bucket: str, path: str) -> str:
        return json.dumps({"cid": "ffffffff15754bcfb5f9152ec7ac90ac", "timestamp": 1625677488615, "fileCount": 1,
                           "totalSize": 489, "bucket": bucket, "pathPrefix": "fdrv2/userinfo",
                           "files": [{"path": path, "size": 489, "checksum": "349c96ed5531edce2233ad417123736d"}]})

    ok = "fdrv2/userinfo/2021-07-07/part-00000.gz"
    assert parse_notification(fdr("cs-prod-cannon-0123", ok), allowed_buckets=("cs-prod-*",)).objects
    with pytest.raises(NotificationError) as info:
        parse_notification(fdr("attacker-bucket", ok), allowed_buckets=("cs-prod-*",))
    assert "allowed_buckets" in str(info.value)
    with pytest.raises(NotificationError):
        parse_notification(fdr("cs-prod-cannon-0123", "fdrv2/" + "x" * 1100))
