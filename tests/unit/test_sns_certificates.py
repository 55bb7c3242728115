"""SNS signatures, the signing certificate: which SigningCertURLs are fetched (https on an SNS
host only), its validity dates (GeneralizedTime past 2049, expired, not yet valid, the clock),
what is not a usable certificate, the bounded cache by URL, and how it is fetched (https,
through the enabled proxy, with a timeout, no redirects).

Certificates are made in tests/sns_envelopes.py with ``cryptography``.
"""

from __future__ import annotations

import urllib.request

import pytest

pytest.importorskip("cryptography")
from cryptography.hazmat.primitives.asymmetric import ec

from sns_envelopes import CERT_URL, KEY, certificate, envelope, sign, validator
from sqs_s3_audit_engine import sns
from sqs_s3_audit_engine.accounts import ProxyConfig
from sqs_s3_audit_engine.errors import NotificationError
from sqs_s3_audit_engine.sns import SnsSignatureValidator, public_key_from_pem


def test_a_certificate_valid_past_2049_is_read_from_its_generalized_time():
    validator(pem=certificate(utc_time=False))(envelope("2"))


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
