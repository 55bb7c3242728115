"""SNS message signature verification, with the standard library only.

AWS signs every SNS message (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) with the
key of a certificate served from ``https://sns.<region>.amazonaws.com/...pem``. Checking:
the certificate URL is https on an SNS host (look-alike hosts refused before anything is
fetched); the certificate is within its validity period; the RSA signature over the
documented string to sign verifies (strict PKCS#1 v1.5, compared in constant time).

The shipped ``lib/`` must stay pure Python, so the X.509 certificate is read with a small
DER reader here instead of a compiled crypto package. Off by default: SNS raw message
delivery carries no signature, and a validator that rejects it silently drops data.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import os
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from typing import Callable, List, Optional, Tuple
from urllib.parse import urlparse

from .errors import NotificationError

__all__ = ["SnsSignatureValidator", "string_to_sign", "public_key_from_pem", "check_certificate_url"]

# sns.<region>.amazonaws.com or .amazonaws.com.cn, matched whole (fullmatch): no look-alikes
_CERT_HOST = re.compile(r"sns\.[a-z]{2}(?:-[a-z]+)+-[0-9]+\.amazonaws\.com(?:\.cn)?")
_RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1
_MAX_CERT_BYTES = 65536
_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
# DER DigestInfo prefixes (RFC 8017, section 9.2, note 1)
_DIGEST_INFO = {
    "1": (hashlib.sha1, bytes.fromhex("3021300906052b0e03021a05000414")),
    "2": (hashlib.sha256, bytes.fromhex("3031300d060960864801650304020105000420")),
}


def string_to_sign(envelope: dict) -> bytes:
    """The text AWS signs: ``name\\nvalue\\n`` for each documented field, in order."""
    kind = envelope.get("Type")
    if kind == "Notification":
        names = _NOTIFICATION_FIELDS
    elif kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        names = _CONFIRMATION_FIELDS
    else:
        raise NotificationError(f"SNS message of unknown Type {kind!r} cannot be verified")
    parts = []
    for name in names:
        if envelope.get(name) is None:
            if name == "Subject":  # signed only when the message has one
                continue
            raise NotificationError(f"SNS message is missing its {name} field: it cannot be verified")
        parts.append(f"{name}\n{envelope[name]}\n")
    return "".join(parts).encode("utf-8")


# -- a minimal DER reader: just enough of X.509 for the RSA key and the validity ---------
_SEQUENCE, _INTEGER, _BIT_STRING, _NULL, _OID, _UTC_TIME, _GENERALIZED_TIME = 0x30, 0x02, 0x03, 0x05, 0x06, 0x17, 0x18


def _tlv(data: bytes, pos: int, expect: Optional[int] = None) -> Tuple[int, int, int]:
    """(tag, content start, content end) of the element at ``pos``; ValueError when malformed."""
    if pos + 2 > len(data):
        raise ValueError("DER element cut short")
    tag = data[pos]
    if expect is not None and tag != expect:
        raise ValueError(f"DER tag 0x{tag:02x} where 0x{expect:02x} was expected")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("DER element runs past the end")
    return tag, pos, end


def _children(data: bytes, start: int, end: int) -> List[Tuple[int, int, int]]:
    items = []
    pos = start
    while pos < end:
        tag, cstart, cend = _tlv(data, pos)
        if cend > end:
            raise ValueError("DER element runs past its parent")
        items.append((tag, cstart, cend))
        pos = cend
    return items


def _der_time(tag: int, raw: bytes) -> float:
    text = raw.decode("ascii")
    if not text.endswith("Z"):
        raise ValueError(f"certificate time {text!r} is not in UTC")
    text = text[:-1].split(".")[0]
    if tag == _UTC_TIME:  # YYMMDDHHMM[SS]; RFC 5280: YY < 50 is 20YY
        year = int(text[:2])
        text = str(year + (2000 if year < 50 else 1900)) + text[2:]
    elif tag != _GENERALIZED_TIME:
        raise ValueError(f"DER tag 0x{tag:02x} is not a time")
    if not text.isdigit() or len(text) not in (12, 14):
        raise ValueError(f"certificate time {raw!r} is malformed")
    return float(calendar.timegm((int(text[0:4]), int(text[4:6]), int(text[6:8]),
                                  int(text[8:10]), int(text[10:12]), int(text[12:14] or 0), 0, 0, 0)))


def public_key_from_pem(pem: bytes) -> Tuple[int, int, float, float]:
    """(modulus, exponent, notBefore, notAfter) of a PEM X.509 certificate with an RSA key.

    Raises:
        ValueError: no PEM certificate, malformed DER, or a key that is not RSA.
    """
    text = pem.decode("ascii", "replace") if isinstance(pem, (bytes, bytearray)) else str(pem)
    match = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", text, re.S)
    if not match:
        raise ValueError("no PEM certificate")
    der = base64.b64decode("".join(match.group(1).split()), validate=True)
    _, cert_start, cert_end = _tlv(der, 0, _SEQUENCE)
    certificate = _children(der, cert_start, cert_end)
    if not certificate or certificate[0][0] != _SEQUENCE:
        raise ValueError("certificate has no tbsCertificate")
    fields = _children(der, certificate[0][1], certificate[0][2])
    if fields and fields[0][0] == 0xA0:  # explicit [0] version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    if len(fields) < 6 or fields[3][0] != _SEQUENCE or fields[5][0] != _SEQUENCE:
        raise ValueError("tbsCertificate is not shaped as X.509")
    validity = _children(der, fields[3][1], fields[3][2])
    if len(validity) != 2:
        raise ValueError("certificate validity is not two times")
    (tag_nb, nb_s, nb_e), (tag_na, na_s, na_e) = validity
    not_before, not_after = _der_time(tag_nb, der[nb_s:nb_e]), _der_time(tag_na, der[na_s:na_e])
    spki = _children(der, fields[5][1], fields[5][2])
    if len(spki) != 2 or spki[0][0] != _SEQUENCE or spki[1][0] != _BIT_STRING:
        raise ValueError("subjectPublicKeyInfo is malformed")
    algorithm = _children(der, spki[0][1], spki[0][2])
    if not algorithm or algorithm[0][0] != _OID or der[algorithm[0][1]:algorithm[0][2]] != _RSA_ENCRYPTION_OID:
        raise ValueError("certificate key is not an RSA key")
    bit_start, bit_end = spki[1][1], spki[1][2]
    if bit_end <= bit_start or der[bit_start] != 0:
        raise ValueError("subjectPublicKey BIT STRING has unused bits")
    key = der[bit_start + 1:bit_end]
    _, key_start, key_end = _tlv(key, 0, _SEQUENCE)
    numbers = _children(key, key_start, key_end)
    if len(numbers) != 2 or numbers[0][0] != _INTEGER or numbers[1][0] != _INTEGER:
        raise ValueError("RSAPublicKey is not two INTEGERs")
    (_, n_s, n_e), (_, e_s, e_e) = numbers
    modulus, exponent = int.from_bytes(key[n_s:n_e], "big"), int.from_bytes(key[e_s:e_e], "big")
    if modulus.bit_length() < 1024 or exponent < 3 or exponent % 2 == 0:
        raise ValueError("RSA public key is too small or malformed")
    return modulus, exponent, not_before, not_after


def _verify_pkcs1v15(modulus: int, exponent: int, signature: bytes, expected_digest_info: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 verification: the whole encoded block is compared, in constant time."""
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= modulus:
        return False
    block = pow(value, exponent, modulus).to_bytes(size, "big")
    padding = size - 3 - len(expected_digest_info)
    if padding < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding + b"\x00" + expected_digest_info
    return hmac.compare_digest(block, expected)


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def check_certificate_url(url: str) -> None:
    """Raise NotificationError unless ``url`` is https on an ``sns.<region>.amazonaws.com[.cn]`` host."""
    why = f"SNS signing certificate URL {url!r} is not an https URL on an sns.<region>.amazonaws.com host"
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError:
        raise NotificationError(why) from None
    host = parsed.hostname or ""
    if (parsed.scheme.lower() != "https" or parsed.username is not None or port not in (None, 443)
            or not _CERT_HOST.fullmatch(host) or "\\" in url or any(ord(c) <= 32 for c in url)):
        raise NotificationError(why)


def _ca_bundle() -> Optional[str]:
    """The CA bundle botocore uses (Splunk's Python may have no usable system store)."""
    try:
        from botocore.httpsession import get_cert_path

        path = get_cert_path(True)
        return path if isinstance(path, str) and os.path.isfile(path) else None
    except Exception:  # botocore absent or changed: the system store is used
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The certificate must come from the checked host itself: redirects are refused."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} refused", headers, fp)


class SnsSignatureValidator:
    """Callable check of an SNS envelope; raises NotificationError saying why it fails.

    Args:
        proxy: the add-on's ProxyConfig; certificates are fetched through it when enabled.
        fetch: ``url -> PEM bytes`` (tests); by default an HTTPS GET with a 10 s timeout.
        cache_size: certificates kept by URL (least recently used dropped first).
        clock: current time, for the validity check.

    Thread-safe: one instance can serve every worker of an input.
    """

    def __init__(self, proxy=None, fetch: Optional[Callable[[str], bytes]] = None, cache_size: int = 16,
                 clock: Callable[[], float] = time.time):
        self._proxy = proxy
        self._fetch = fetch or self._https_get
        self._cache: "OrderedDict[str, Tuple[int, int, float, float]]" = OrderedDict()
        self._cache_size = max(1, int(cache_size))
        self._clock = clock
        self._lock = threading.Lock()

    # -- fetching --------------------------------------------------------------------------
    def _https_get(self, url: str) -> bytes:
        context = ssl.create_default_context(cafile=_ca_bundle())
        handlers = [urllib.request.HTTPSHandler(context=context), _NoRedirect()]
        proxy = self._proxy
        if proxy is not None and getattr(proxy, "enabled", False):
            if getattr(proxy, "proxy_type", "http") != "http":
                # as for the AWS SDK (aws.botocore_config): HTTP proxies only
                raise OSError(f"{proxy.proxy_type} proxies are not supported; use an HTTP proxy")
            handlers.append(urllib.request.ProxyHandler({"https": proxy.url()}))
        # without an enabled proxy, HTTPS_PROXY/NO_PROXY apply, as they do to botocore
        opener = urllib.request.build_opener(*handlers)
        with opener.open(url, timeout=10) as response:
            return response.read(_MAX_CERT_BYTES)

    def _key(self, url: str) -> Tuple[int, int, float, float]:
        with self._lock:
            if url in self._cache:
                self._cache.move_to_end(url)
                return self._cache[url]
        try:
            pem = self._fetch(url)
        except Exception as exc:  # URLError, HTTPError, timeouts, TLS, proxy errors...
            raise NotificationError(f"SNS signing certificate {url} could not be fetched: {exc}") from None
        try:
            key = public_key_from_pem(pem)
        except (ValueError, TypeError, IndexError) as exc:
            raise NotificationError(f"SNS signing certificate {url} could not be read: {exc}") from None
        with self._lock:
            self._cache[url] = key
            self._cache.move_to_end(url)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return key

    # -- the check -------------------------------------------------------------------------
    def __call__(self, envelope: dict) -> None:
        if not isinstance(envelope, dict):
            raise NotificationError("SNS envelope is not a JSON object")
        missing = [name for name in ("Type", "SignatureVersion", "Signature", "SigningCertURL")
                   if not envelope.get(name)]
        if missing:
            raise NotificationError(f"SNS message {envelope.get('MessageId')} is missing {', '.join(missing)}: "
                                    "it cannot be verified (is raw message delivery on?)")
        version = str(envelope["SignatureVersion"])
        if version not in _DIGEST_INFO:
            raise NotificationError(f"SNS SignatureVersion {version!r} is not supported (1 or 2)")
        url = str(envelope["SigningCertURL"])
        check_certificate_url(url)
        try:
            signature = base64.b64decode(str(envelope["Signature"]), validate=True)
        except ValueError:
            raise NotificationError("SNS Signature is not base64") from None
        message = string_to_sign(envelope)  # before fetching: missing fields need no certificate
        modulus, exponent, not_before, not_after = self._key(url)
        now = self._clock()
        if now > not_after:
            raise NotificationError(f"SNS signing certificate {url} expired at {_utc(not_after)}")
        if now < not_before:
            raise NotificationError(f"SNS signing certificate {url} is not valid before {_utc(not_before)}")
        digest, prefix = _DIGEST_INFO[version]
        if not _verify_pkcs1v15(modulus, exponent, signature, prefix + digest(message).digest()):
            raise NotificationError(f"SNS signature does not verify for message {envelope.get('MessageId')} "
                                    f"from {envelope.get('TopicArn')}")
