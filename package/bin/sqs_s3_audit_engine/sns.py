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
import re
import threading
import time
import urllib.request
from collections import OrderedDict
from typing import Callable, Optional, Tuple
from urllib.parse import urlparse

from .errors import NotificationError

__all__ = ["SnsSignatureValidator", "string_to_sign", "public_key_from_pem"]

_CERT_HOST = re.compile(r"^sns\.[a-z]{2}(?:-[a-z]+)+-\d+\.amazonaws\.com(?:\.cn)?$")
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
        if name not in envelope:
            if name == "Subject":
                continue
            raise NotificationError(f"SNS message has no {name} field to verify")
        parts.append(f"{name}\n{envelope[name]}\n")
    return "".join(parts).encode("utf-8")


# -- a minimal DER reader: just enough of X.509 for the RSA key and the validity ---------
def _tlv(data: bytes, pos: int) -> Tuple[int, int, int]:
    """(tag, content start, content end) of the element at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("DER element runs past the end")
    return tag, pos, end


def _children(data: bytes, start: int, end: int):
    pos = start
    while pos < end:
        tag, cstart, cend = _tlv(data, pos)
        yield tag, cstart, cend
        pos = cend


def _der_time(tag: int, raw: bytes) -> float:
    text = raw.decode("ascii").rstrip("Z")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSS
        year = int(text[:2])
        year += 2000 if year < 50 else 1900
        text = str(year) + text[2:]
    return float(calendar.timegm((int(text[0:4]), int(text[4:6]), int(text[6:8]),
                                  int(text[8:10]), int(text[10:12]), int(text[12:14] or 0), 0, 0, 0)))


def public_key_from_pem(pem: bytes) -> Tuple[int, int, float, float]:
    """(modulus, exponent, notBefore, notAfter) of a PEM X.509 certificate with an RSA key."""
    text = pem.decode("ascii", "replace")
    match = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", text, re.S)
    if not match:
        raise ValueError("no PEM certificate")
    der = base64.b64decode("".join(match.group(1).split()))
    _, cert_start, cert_end = _tlv(der, 0)
    tag, tbs_start, tbs_end = next(_children(der, cert_start, cert_end))
    fields = list(_children(der, tbs_start, tbs_end))
    if fields and fields[0][0] == 0xA0:  # explicit [0] version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    _, v_start, v_end = fields[3]
    (tag_nb, nb_s, nb_e), (tag_na, na_s, na_e) = list(_children(der, v_start, v_end))[:2]
    not_before, not_after = _der_time(tag_nb, der[nb_s:nb_e]), _der_time(tag_na, der[na_s:na_e])
    _, spki_start, spki_end = fields[5]
    _, (bit_tag, bit_start, bit_end) = list(_children(der, spki_start, spki_end))[:2]
    if bit_tag != 0x03:
        raise ValueError("subjectPublicKey is not a BIT STRING")
    key = der[bit_start + 1:bit_end]  # skip the unused-bits byte
    _, key_start, key_end = _tlv(key, 0)
    (_, n_s, n_e), (_, e_s, e_e) = list(_children(key, key_start, key_end))[:2]
    return int.from_bytes(key[n_s:n_e], "big"), int.from_bytes(key[e_s:e_e], "big"), not_before, not_after


def _verify_pkcs1v15(modulus: int, exponent: int, signature: bytes, expected_digest_info: bytes) -> bool:
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


class SnsSignatureValidator:
    """Callable check of an SNS envelope; raises NotificationError saying why it fails.

    Args:
        proxy: the add-on's ProxyConfig; certificates are fetched through it when enabled.
        fetch: ``url -> PEM bytes`` (tests); by default an HTTPS GET with a 10 s timeout.
        cache_size: certificates kept by URL.
        clock: current time, for the validity check.
    """

    def __init__(self, proxy=None, fetch: Optional[Callable[[str], bytes]] = None, cache_size: int = 16,
                 clock: Callable[[], float] = time.time):
        self._proxy = proxy
        self._fetch = fetch or self._https_get
        self._cache: "OrderedDict[str, Tuple[int, int, float, float]]" = OrderedDict()
        self._cache_size = cache_size
        self._clock = clock
        self._lock = threading.Lock()

    def _https_get(self, url: str) -> bytes:
        handlers = []
        if self._proxy is not None and getattr(self._proxy, "enabled", False):
            handlers.append(urllib.request.ProxyHandler({"https": self._proxy.url(), "http": self._proxy.url()}))
        opener = urllib.request.build_opener(*handlers)
        with opener.open(url, timeout=10) as response:
            return response.read(65536)

    def _key(self, url: str) -> Tuple[int, int, float, float]:
        with self._lock:
            if url in self._cache:
                self._cache.move_to_end(url)
                return self._cache[url]
        try:
            key = public_key_from_pem(self._fetch(url))
        except (OSError, ValueError, IndexError) as exc:
            raise NotificationError(f"SNS signing certificate {url} could not be fetched or read: {exc}") from None
        with self._lock:
            self._cache[url] = key
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return key

    def __call__(self, envelope: dict) -> None:
        version = str(envelope.get("SignatureVersion", ""))
        if version not in _DIGEST_INFO:
            raise NotificationError(f"SNS SignatureVersion {version!r} is not supported (1 or 2)")
        url = str(envelope.get("SigningCertURL") or "")
        parsed = urlparse(url)
        if parsed.scheme != "https" or not _CERT_HOST.match(parsed.hostname or "") or parsed.port not in (None, 443):
            raise NotificationError(f"SNS signing certificate URL {url!r} is not an https URL on an sns.<region>.amazonaws.com host")
        try:
            signature = base64.b64decode(str(envelope.get("Signature") or ""), validate=True)
        except ValueError:
            raise NotificationError("SNS Signature is not base64") from None
        message = string_to_sign(envelope)
        modulus, exponent, not_before, not_after = self._key(url)
        now = self._clock()
        if not not_before <= now <= not_after:
            raise NotificationError(f"SNS signing certificate {url} is not valid at this time")
        digest, prefix = _DIGEST_INFO[version]
        if not _verify_pkcs1v15(modulus, exponent, signature, prefix + digest(message).digest()):
            raise NotificationError(f"SNS signature does not verify for message {envelope.get('MessageId')} "
                                    f"from {envelope.get('TopicArn')}")
