"""SNS signatures: verified with the shipped pure-Python rsa/pyasn1 against real RSA signatures.

The key and self-signed certificate are made here with ``cryptography`` (a test-only
dependency); the add-on's own check in ``sqs_s3_audit_engine.sns`` uses none of it.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import sys
import urllib.request

import pytest

PACKAGE_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "package", "bin")
if os.path.abspath(PACKAGE_BIN) not in map(os.path.abspath, sys.path):
    sys.path.insert(0, os.path.abspath(PACKAGE_BIN))

cryptography = pytest.importorskip("cryptography")
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from modinput_runner import APP, pythons
from sqs_s3_audit_engine import sns
from sqs_s3_audit_engine.accounts import ProxyConfig
from sqs_s3_audit_engine.errors import NotificationError
from sqs_s3_audit_engine.notifications import parse_notification
from sqs_s3_audit_engine.sns import SnsSignatureValidator, public_key_from_pem, string_to_sign

CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
BUILT_LIB = os.path.join(APP, "lib")
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


def test_a_certificate_valid_past_2049_is_read_from_its_generalized_time():
    validator(pem=certificate(utc_time=False))(envelope("2"))


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


@pytest.mark.parametrize("url", [
    "https://evil.example.com/x.pem",
    "http://sns.us-east-1.amazonaws.com/x.pem",
    "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",
    "https://sns.us-east-1.amazonaws.com.cn.evil.com/x.pem",
    "https://evilsns.us-east-1.amazonaws.com/x.pem",
    "https://sns.us-east-1.evil.amazonaws.com/x.pem",
    "https://sqs.us-east-1.amazonaws.com/x.pem",
    "https://sns.amazonaws.com/x.pem",
    "https://sns.us-east-1.amazonaws.com:8443/x.pem",
    "https://sns.us-east-1.amazonaws.com:abc/x.pem",
    "https://sns.us-east-1.amazonaws.com@evil.com/x.pem",
    "https://user@sns.us-east-1.amazonaws.com/x.pem",
    "https://sns.us-east-1.amazonaws.com\\@evil.com/x.pem",
    "https://sns.us-east-1.amazonaws.com%2eevil.com/x.pem",
    "file:///etc/passwd",
    "//sns.us-east-1.amazonaws.com/x.pem",
])
def test_certificate_urls_off_sns_hosts_fail_without_fetching(url):
    fetched = []
    with pytest.raises(NotificationError, match="not an https URL"):
        validator(fetched=fetched)(envelope(SigningCertURL=url))
    assert fetched == []


@pytest.mark.parametrize("url", [
    "https://sns.eu-west-3.amazonaws.com/SimpleNotificationService-1.pem",
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-1.pem",
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem",
    "https://SNS.AP-SOUTHEAST-2.AMAZONAWS.COM/SimpleNotificationService-1.pem",
])
def test_certificate_urls_on_regional_sns_hosts_are_fetched(url):
    fetched = []
    doc = sign(dict(envelope(), SigningCertURL=url))
    validator(fetched=fetched)(doc)
    assert fetched == [url]


@pytest.mark.parametrize("version", ["3", "0", "SHA256"])
def test_unknown_signature_versions_fail(version):
    with pytest.raises(NotificationError, match="SignatureVersion"):
        validator()(envelope(SignatureVersion=version))


def test_an_expired_certificate_fails():
    with pytest.raises(NotificationError, match="expired"):
        validator(pem=certificate(days_valid=1, offset_days=-10))(envelope())


def test_a_certificate_not_yet_valid_fails():
    with pytest.raises(NotificationError, match="not valid before"):
        validator(pem=certificate(days_valid=30, offset_days=5))(envelope())


def test_the_clock_decides_expiry():
    pem = certificate(days_valid=30, offset_days=-1)
    _, _, _, not_after = public_key_from_pem(pem)
    validator(pem=pem, clock=lambda: not_after - 1)(envelope())
    with pytest.raises(NotificationError, match="expired"):
        validator(pem=pem, clock=lambda: not_after + 1)(envelope())


def test_a_certificate_that_cannot_be_fetched_fails():
    def fetch(_url):
        raise OSError("connection refused")

    with pytest.raises(NotificationError, match="could not be fetched: connection refused"):
        SnsSignatureValidator(fetch=fetch)(envelope())


@pytest.mark.parametrize("pem", [b"<html>not found</html>", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"])
def test_a_response_that_is_no_certificate_fails(pem):
    with pytest.raises(NotificationError, match="could not be read"):
        validator(pem=pem)(envelope())


def test_a_certificate_with_a_non_rsa_key_fails():
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(NotificationError, match="not an RSA key"):
        validator(pem=certificate(key=ec_key))(envelope())


def test_the_key_read_from_the_certificate_is_the_signing_key():
    modulus, exponent, _, _ = public_key_from_pem(certificate())
    numbers = KEY.public_key().public_numbers()
    assert (modulus, exponent) == (numbers.n, numbers.e)


def test_certificates_are_cached_by_url_in_a_bounded_lru():
    fetched = []
    check = validator(fetched=fetched, cache_size=2)
    urls = [f"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-{i}.pem" for i in range(3)]
    for url in (urls[0], urls[1], urls[0], urls[2], urls[0], urls[1]):
        check(sign(dict(envelope(), SigningCertURL=url)))
    # 0, 1 fetched; 0 hit; 2 fetched and evicts 1; 0 hit; 1 fetched again
    assert fetched == [urls[0], urls[1], urls[2], urls[1]]


def test_a_failed_fetch_is_not_cached():
    calls = []

    def fetch(url):
        calls.append(url)
        if len(calls) == 1:
            raise OSError("timed out")
        return certificate()

    check = SnsSignatureValidator(fetch=fetch)
    with pytest.raises(NotificationError, match="could not be fetched"):
        check(envelope())
    check(envelope())
    assert len(calls) == 2


class _Response:
    def __init__(self, body):
        self.body = body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, limit):
        return self.body[:limit]


def _capture_opener(monkeypatch, pem):
    seen = {}

    class Opener:
        def open(self, url, timeout):
            seen["url"], seen["timeout"] = url, timeout
            return _Response(pem)

    def build_opener(*handlers):
        seen["handlers"] = handlers
        return Opener()

    monkeypatch.setattr(urllib.request, "build_opener", build_opener)
    return seen


def test_certificates_are_fetched_over_https_through_the_enabled_proxy_with_a_timeout(monkeypatch):
    seen = _capture_opener(monkeypatch, certificate())
    proxy = ProxyConfig(enabled=True, host="proxy.local", port=3128, username="u", password="p")
    SnsSignatureValidator(proxy=proxy)(envelope())
    assert seen["url"] == CERT_URL and seen["timeout"] == 10
    proxies = [h.proxies for h in seen["handlers"] if isinstance(h, urllib.request.ProxyHandler)]
    assert proxies == [{"https": "http://u:p@proxy.local:3128"}]
    assert any(isinstance(h, sns._NoRedirect) for h in seen["handlers"])


def test_a_disabled_proxy_is_not_used(monkeypatch):
    seen = _capture_opener(monkeypatch, certificate())
    SnsSignatureValidator(proxy=ProxyConfig(enabled=False, host="proxy.local", port=3128))(envelope())
    assert not [h for h in seen["handlers"] if isinstance(h, urllib.request.ProxyHandler)]


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


_PURE_LIB_CHECK = r"""
import json, os, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from sqs_s3_audit_engine.errors import NotificationError
from sqs_s3_audit_engine.sns import SnsSignatureValidator
case = json.load(sys.stdin)
check = SnsSignatureValidator(fetch=lambda url: case["pem"].encode())
for doc in case["good"]:
    check(doc)
try:
    check(case["forged"])
except NotificationError as exc:
    assert "does not verify" in str(exc), exc
else:
    raise SystemExit("forged envelope accepted")
lib = os.path.realpath(sys.argv[2])
print(json.dumps({"compiled": sorted(m for m in ("cryptography", "Crypto", "OpenSSL", "_cffi_backend")
                                     if m in sys.modules),
                  "from_lib": sorted(m for m in ("rsa", "pyasn1", "pyasn1_modules")
                                     if os.path.realpath(sys.modules[m].__file__).startswith(lib + os.sep))}))
"""


@pytest.mark.parametrize("python", sorted(pythons()))
def test_the_check_runs_on_the_shipped_pure_python_lib_alone(python):
    """No site-packages (-I -S): the built lib's rsa and pyasn1 verify, with no compiled crypto."""
    if not os.path.isdir(BUILT_LIB):
        pytest.skip("built app missing: run `make build`")
    case = {"pem": certificate().decode(), "good": [envelope("1"), envelope("2", subject=False)],
            "forged": envelope("2", Message="{}")}
    result = subprocess.run([pythons()[python], "-I", "-S", "-B", "-c", _PURE_LIB_CHECK, os.path.abspath(PACKAGE_BIN),
                             BUILT_LIB], input=json.dumps(case), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"compiled": [], "from_lib": ["pyasn1", "pyasn1_modules", "rsa"]}


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
