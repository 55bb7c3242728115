"""AWS Config's SNS notifications (the developer guide's documented examples, in
tests/fixtures/samples/config/) and SNS messages of a shared topic that name no S3
object."""

from __future__ import annotations

import json
import os

import pytest

from sqs_s3_audit_engine.errors import NotificationError
from sqs_s3_audit_engine.notification_types import SNS_CONFIG, SNS_UNRELATED
from sqs_s3_audit_engine.notifications import parse_notification

CONFIG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples", "config")


def documented(name: str, as_string: bool = True) -> dict:
    """A documented notification; SNS delivers ``Message`` as a JSON string (the guide
    prints it as an object: both are read)."""
    with open(os.path.join(CONFIG, name), encoding="utf-8") as f:
        doc = json.load(f)
    if as_string:
        doc["Message"] = json.dumps(doc["Message"])
    return doc


@pytest.mark.parametrize("as_string", [True, False])
def test_configuration_history_delivery_names_its_one_object(as_string):
    note = parse_notification(json.dumps(documented("sns_history_delivery_completed.json", as_string)))
    assert note.kind == SNS_CONFIG and note.records == [] and not note.unrelated
    [ref] = note.objects
    assert ref.bucket == "config-bucket-123456789012-ohio"
    assert ref.key == ("AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigHistory/123456789012_Config_us-east-2_"
                       "ConfigHistory_AWS::CloudTrail::Trail_20160927T195818Z_20160927T195818Z_1.json.gz")
    assert ref.event_time == pytest.approx(1475008625.217)


def test_configuration_snapshot_delivery_names_its_one_object():
    note = parse_notification(json.dumps(documented("sns_snapshot_delivery_completed.json")))
    [ref] = note.objects
    assert ref.key.endswith("ConfigSnapshot_20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json.gz")
    assert note.records == []


def test_oversized_item_change_names_the_s3_copy_of_the_notification():
    note = parse_notification(json.dumps(documented("sns_oversized_item_change.json")))
    [ref] = note.objects
    assert ref.bucket == "my-bucket"
    assert ref.key.startswith("AWSLogs/123456789012/Config/us-west-2/2016/10/6/OversizedChangeNotification/AWS::EC2::Instance/")
    assert note.records == []


def test_oversized_item_change_that_config_could_not_store_is_kept_as_a_record():
    doc = documented("sns_oversized_item_change.json", as_string=False)
    doc["Message"]["s3DeliverySummary"] = {"s3BucketLocation": None, "errorCode": "AccessDenied", "errorMessage": "x"}
    note = parse_notification(json.dumps(doc))
    assert note.objects == [] and len(note.records) == 1
    with pytest.raises(NotificationError, match="s3BucketLocation"):
        doc["Message"]["s3DeliverySummary"] = {}
        parse_notification(json.dumps(doc))


@pytest.mark.parametrize("name, message_type", [
    ("sns_item_change_security_group.json", "ConfigurationItemChangeNotification"),
    ("sns_item_change_volume_2014.json", "ConfigurationItemChangeNotification"),
    ("sns_compliance_change.json", "ComplianceChangeNotification"),
])
def test_item_and_compliance_changes_carry_their_record_with_topic_and_message_id(name, message_type):
    doc = documented(name)
    note = parse_notification(json.dumps(doc))
    assert note.kind == SNS_CONFIG and note.objects == []
    [record] = note.records
    assert record.log_type == "config_notification"
    assert record.value == json.loads(doc["Message"])
    assert record.value["messageType"] == message_type
    assert record.source == doc["TopicArn"] and record.message_id == doc["MessageId"]


def test_raw_delivery_of_a_config_message_is_read_without_an_envelope():
    message = documented("sns_item_change_security_group.json", as_string=False)["Message"]
    note = parse_notification(json.dumps(message))
    assert note.kind == "config"
    assert note.records[0].value == message and note.records[0].source == ""


def test_a_delivery_completed_message_without_its_key_is_an_error_naming_the_message_type():
    doc = documented("sns_history_delivery_completed.json", as_string=False)
    del doc["Message"]["s3ObjectKey"]
    with pytest.raises(NotificationError, match="ConfigurationHistoryDeliveryCompleted"):
        parse_notification(json.dumps(doc))


def envelope(message, subject="ALARM: high CPU") -> str:
    return json.dumps({
        "Type": "Notification", "MessageId": "5b3b4c24", "TopicArn": "arn:aws:sns:us-east-1:111122223333:ops-alerts",
        "Subject": subject, "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2024-01-01T00:00:00.000Z", "SignatureVersion": "1", "Signature": "x",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem", "UnsubscribeURL": "https://x",
    })


@pytest.mark.parametrize("message, says", [
    ("Disk almost full on web-1", "message is not a JSON object"),
    ({"AlarmName": "high-cpu", "NewStateValue": "ALARM"}, "type='high-cpu'"),
    ({"hello": "world"}, "keys=hello"),
    ([1, 2], "message is not a JSON object"),
])
def test_an_sns_message_naming_no_object_is_unrelated_and_says_which_topic_sent_it(message, says):
    note = parse_notification(envelope(message))
    assert note.kind == SNS_UNRELATED
    assert note.objects == [] and note.records == []
    assert "TopicArn=arn:aws:sns:us-east-1:111122223333:ops-alerts" in note.unrelated
    assert "Subject='ALARM: high CPU'" in note.unrelated
    assert says in note.unrelated


def test_an_sns_message_in_a_known_form_that_is_broken_is_still_an_error():
    with pytest.raises(NotificationError, match="without an s3 object"):
        parse_notification(envelope({"Records": [{"eventName": "ObjectCreated:Put"}]}))


def test_the_sns_signature_is_checked_before_a_message_is_called_unrelated():
    def reject(_envelope):
        raise NotificationError("signature does not verify")

    with pytest.raises(NotificationError, match="signature"):
        parse_notification(envelope("hello"), sns_validator=reject)
