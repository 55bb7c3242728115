"""Signed SNS envelopes for the SNS signature tests (tests/unit/test_sns_*.py).

A 2048-bit RSA key and a self-signed certificate are made here with ``cryptography`` (a
test-only dependency); the add-on's own check in ``sqs_s3_audit_engine.sns`` uses none of it.
Envelopes are signed as AWS's "Verifying the signatures of Amazon SNS messages" page
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html) describes:
SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2. A test module calls
``pytest.importorskip("cryptography")`` before importing this one.
"""

from __future__ import annotations

import base64
import datetime
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from sqs_s3_audit_engine.sns import SnsSignatureValidator, string_to_sign

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(days_valid=30, offset_days=-1, key=KEY, utc_time=True) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=offset_days)
    end = start + datetime.timedelta(days=days_valid)
    if not utc_time:  # from 2050 on, X.509 times are GeneralizedTime
        end = datetime.datetime(2051, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1234567).not_valid_before(start).not_valid_after(end)
            .sign(KEY, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def sign(doc: dict, key=KEY) -> dict:
    algorithm = hashes.SHA1() if doc["SignatureVersion"] == "1" else hashes.SHA256()
    doc["Signature"] = base64.b64encode(key.sign(string_to_sign(doc), padding.PKCS1v15(), algorithm)).decode()
    return doc


def envelope(version="1", subject=True, key=KEY, **changes) -> dict:
    """A Notification signed as SNS signs it; ``changes`` are applied after signing."""
    doc = {"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
           "TopicArn": "arn:aws:sns:us-east-1:123456789012:trail",
           "Message": json.dumps({"s3Bucket": "bkt", "s3ObjectKey": ["AWSLogs/x.json.gz"]}),
           "Timestamp": "2025-03-04T16:30:00.000Z", "SignatureVersion": version, "SigningCertURL": CERT_URL,
           "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}
    if subject:
        doc["Subject"] = "Amazon S3 Notification"
    sign(doc, key)
    doc.update(changes)
    return doc


def validator(pem=None, fetched=None, **kwargs):
    pem = pem or certificate()

    def fetch(url):
        if fetched is not None:
            fetched.append(url)
        return pem

    return SnsSignatureValidator(fetch=fetch, **kwargs)
