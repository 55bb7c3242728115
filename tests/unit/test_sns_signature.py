"""SNS signatures: verified with the standard library against real RSA signatures."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

cryptography = pytest.importorskip("cryptography")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from sqs_s3_audit_engine.errors import NotificationError  # noqa: E402
from sqs_s3_audit_engine.notifications import parse_notification  # noqa: E402
from sqs_s3_audit_engine.sns import SnsSignatureValidator, string_to_sign  # noqa: E402

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(days_valid=30, offset_days=-1) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=offset_days)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(KEY.public_key())
            .serial_number(1234567).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days_valid))
            .sign(KEY, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def envelope(version="1", subject=True, **changes) -> dict:
    doc = {"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
           "TopicArn": "arn:aws:sns:us-east-1:123456789012:trail",
           "Message": json.dumps({"s3Bucket": "bkt", "s3ObjectKey": ["AWSLogs/x.json.gz"]}),
           "Timestamp": "2025-03-04T16:30:00.000Z", "SignatureVersion": version, "SigningCertURL": CERT_URL}
    if subject:
        doc["Subject"] = "Amazon S3 Notification"
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    doc["Signature"] = base64.b64encode(KEY.sign(string_to_sign(doc), padding.PKCS1v15(), algorithm)).decode()
    doc.update(changes)
    return doc


def validator(pem=None, fetched=None):
    pem = pem or certificate()

    def fetch(url):
        if fetched is not None:
            fetched.append(url)
        return pem

    return SnsSignatureValidator(fetch=fetch)


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("subject", [True, False])
def test_genuine_signatures_verify(version, subject):
    validator()(envelope(version, subject))


def test_a_tampered_message_fails():
    with pytest.raises(NotificationError, match="does not verify"):
        validator()(envelope(Message='{"s3Bucket": "evil", "s3ObjectKey": ["x"]}'))


@pytest.mark.parametrize("url", ["https://evil.example.com/x.pem", "http://sns.us-east-1.amazonaws.com/x.pem",
                                 "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
                                 "https://sns.us-east-1.amazonaws.com:8443/x.pem"])
def test_certificate_urls_off_sns_hosts_fail_without_fetching(url):
    fetched = []
    with pytest.raises(NotificationError, match="not an https URL"):
        validator(fetched=fetched)(envelope(SigningCertURL=url))
    assert fetched == []


def test_unknown_signature_versions_fail():
    with pytest.raises(NotificationError, match="SignatureVersion"):
        validator()(envelope(SignatureVersion="3"))


def test_an_expired_certificate_fails():
    with pytest.raises(NotificationError, match="not valid at this time"):
        validator(pem=certificate(days_valid=1, offset_days=-10))(envelope())


def test_certificates_are_cached_by_url():
    fetched = []
    check = validator(fetched=fetched)
    check(envelope())
    check(envelope("2"))
    assert fetched == [CERT_URL]


def test_parse_notification_rejects_forged_and_accepts_genuine_envelopes():
    check = validator()
    good = parse_notification(json.dumps(envelope()), sns_validator=check)
    assert good.objects[0].key == "AWSLogs/x.json.gz"
    with pytest.raises(NotificationError):
        parse_notification(json.dumps(envelope(TopicArn="arn:aws:sns:us-east-1:999999999999:other")), sns_validator=check)
