"""SNS signatures, the envelope: the documented string to sign, genuine v1 and v2 signatures
(with and without a Subject, subscription confirmations), and what fails: a tampered message,
a Subject added or removed, another key, a v1 signature presented as v2, malformed or missing
signatures and fields, unknown signature versions.

Verified with the shipped pure-Python rsa/pyasn1 against real RSA signatures made in
tests/sns_envelopes.py.
"""

from __future__ import annotations

import base64

import pytest

pytest.importorskip("cryptography")
from sns_envelopes import CERT_URL, OTHER_KEY, envelope, sign, validator
from sqs_s3_audit_engine.errors import NotificationError
from sqs_s3_audit_engine.sns import string_to_sign


def test_the_string_to_sign_follows_the_documented_field_order():
    doc = envelope(subject=True)
    assert string_to_sign(doc).decode() == (
        f"Message\n{doc['Message']}\nMessageId\n{doc['MessageId']}\nSubject\nAmazon S3 Notification\n"
        f"Timestamp\n{doc['Timestamp']}\nTopicArn\n{doc['TopicArn']}\nType\nNotification\n")
    assert "Subject" not in string_to_sign(envelope(subject=False)).decode()


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("subject", [True, False], ids=["with_subject", "without_subject"])
def test_genuine_v1_and_v2_signatures_verify_with_and_without_a_subject(version, subject):
    validator()(envelope(version, subject))


@pytest.mark.parametrize("kind", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
def test_subscription_confirmations_sign_subscribe_url_and_token(kind):
    doc = sign({"Type": kind, "MessageId": "m-1", "Token": "2336412f37f", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                "Message": "You have chosen to subscribe", "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?x",
                "Timestamp": "2025-03-04T16:30:00.000Z", "SignatureVersion": "2", "SigningCertURL": CERT_URL})
    validator()(doc)
    with pytest.raises(NotificationError, match="does not verify"):
        validator()(dict(doc, Token="another"))


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_tampered_message_fails(version):
    with pytest.raises(NotificationError, match="does not verify"):
        validator()(envelope(version, Message='{"s3Bucket": "evil", "s3ObjectKey": ["x"]}'))


def test_adding_or_removing_a_subject_after_signing_fails():
    with pytest.raises(NotificationError, match="does not verify"):
        validator()(envelope(subject=False, Subject="added"))
    doc = envelope(subject=True)
    del doc["Subject"]
    with pytest.raises(NotificationError, match="does not verify"):
        validator()(doc)


def test_a_signature_by_another_key_fails():
    with pytest.raises(NotificationError, match="does not verify"):
        validator()(envelope("2", key=OTHER_KEY))


def test_a_v1_signature_presented_as_v2_fails():
    with pytest.raises(NotificationError, match="does not verify"):
        validator()(envelope("1", SignatureVersion="2"))


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(b"\x00" * 256).decode()])
def test_missing_or_malformed_signatures_fail(signature):
    with pytest.raises(NotificationError, match="missing|not base64|does not verify"):
        validator()(envelope(Signature=signature))


@pytest.mark.parametrize("field", ["Signature", "SigningCertURL", "SignatureVersion", "Type"])
def test_an_envelope_missing_a_signature_field_fails_without_fetching(field):
    fetched = []
    doc = envelope()
    del doc[field]
    with pytest.raises(NotificationError, match=f"missing {field}"):
        validator(fetched=fetched)(doc)
    assert fetched == []


@pytest.mark.parametrize("field", ["Message", "MessageId", "Timestamp", "TopicArn"])
def test_an_envelope_missing_a_signed_field_fails_without_fetching(field):
    fetched = []
    doc = envelope()
    del doc[field]
    with pytest.raises(NotificationError, match=f"missing its {field}"):
        validator(fetched=fetched)(doc)
    assert fetched == []


@pytest.mark.parametrize("version", ["3", "0", "SHA256"])
def test_unknown_signature_versions_fail(version):
    with pytest.raises(NotificationError, match="SignatureVersion"):
        validator()(envelope(SignatureVersion=version))
