"""SNS signatures in notification parsing: parse_notification accepts a genuine signed envelope
and refuses a forged one; with validation on, every body but a signed SNS envelope is refused
(issue 19, finding 2), with it off bare bodies are still read.

Envelopes are signed in tests/sns_envelopes.py.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("cryptography")
from sns_envelopes import envelope, validator
from sqs_s3_audit_engine.errors import NotificationError
from sqs_s3_audit_engine.notifications import parse_notification


def test_parse_notification_rejects_a_forged_envelope_and_accepts_a_genuine_one():
    check = validator()
    good = parse_notification(json.dumps(envelope()), sns_validator=check)
    assert good.kind == "sns+cloudtrail_sns"
    assert good.objects[0].key == "AWSLogs/x.json.gz"
    forged = envelope(Message=json.dumps({"s3Bucket": "attacker", "s3ObjectKey": ["x"]}))
    with pytest.raises(NotificationError, match="does not verify"):
        parse_notification(json.dumps(forged), sns_validator=check)
    with pytest.raises(NotificationError, match="does not verify"):
        parse_notification(json.dumps(envelope(TopicArn="arn:aws:sns:us-east-1:999999999999:other")),
                           sns_validator=check)


# -- issue 19, finding 2: with validation on, only signed envelopes ------------------------------
S3_EVENT = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": "bkt"}, "object": {"key": "AWSLogs/x.json.gz"}}}]}
EVENTBRIDGE = {"version": "0", "detail-type": "Object Created", "source": "aws.s3",
               "detail": {"bucket": {"name": "bkt"}, "object": {"key": "AWSLogs/x.json.gz"}}}
CONFIG_CHANGE = {"messageType": "ConfigurationItemChangeNotification", "configurationItem": {"resourceType": "x"}}


@pytest.mark.parametrize("body", [
    S3_EVENT, EVENTBRIDGE, {"s3Bucket": "bkt", "s3ObjectKey": ["AWSLogs/x.json.gz"]}, CONFIG_CHANGE,
    {"Type": "Notification", "Message": json.dumps(S3_EVENT)},  # an envelope without TopicArn
    {k: v for k, v in envelope().items() if k != "TopicArn"},  # signed, then TopicArn removed
    {"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": json.dumps(S3_EVENT)},
], ids=["s3", "eventbridge", "cloudtrail-sns", "config-raw", "no-topic", "signed-no-topic", "unsigned"])
def test_with_validation_on_every_body_but_a_signed_envelope_is_refused(body):
    fetched = []
    with pytest.raises(NotificationError):
        parse_notification(json.dumps(body), sns_validator=validator(fetched=fetched))
    parse_notification(json.dumps(envelope()), sns_validator=validator())  # the genuine one passes


def test_with_validation_off_bare_bodies_are_still_read():
    assert parse_notification(json.dumps(S3_EVENT)).objects[0].bucket == "bkt"
