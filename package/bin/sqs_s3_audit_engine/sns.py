"""SNS message signature verification, with the pure-Python ``rsa`` and ``pyasn1``.

AWS signs every SNS message (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) with the
key of a certificate served from ``https://sns.<region>.amazonaws.com/...pem``. Checking:
the certificate URL is https on an SNS host (look-alike hosts refused before anything is
fetched); the certificate is within its validity period; the RSA signature over the
documented string to sign verifies (PKCS#1 v1.5, the whole encoded block compared, with
the hash the SignatureVersion names).

The X.509 certificate is read with ``pyasn1-modules``' RFC 5280 schema and the signature
checked with ``rsa``, both pure Python as the shipped ``lib/`` must be. Off by default: SNS
raw message delivery carries no signature, and a validator that rejects it silently
drops data.
"""

from __future__ import annotations

import base64
import calendar
import os
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from typing import Callable, Optional, Tuple
from urllib.parse import urlparse

import rsa
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.error import PyAsn1Error
from pyasn1_modules import rfc2437, rfc5280

from .errors import NotificationError

__all__ = ["SnsSignatureValidator", "string_to_sign", "public_key_from_pem", "check_certificate_url"]

# sns.<region>.amazonaws.com or .amazonaws.com.cn, matched whole (fullmatch): no look-alikes
_CERT_HOST = re.compile(r"sns\.[a-z]{2}(?:-[a-z]+)+-[0-9]+\.amazonaws\.com(?:\.cn)?")
_MAX_CERT_BYTES = 65536
_NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
# SignatureVersion -> the hash name rsa.verify reports for it
_HASHES = {"1": "SHA-1", "2": "SHA-256"}


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


def _epoch(time_choice) -> float:
    """Seconds since the epoch of an X.509 Time (UTCTime or GeneralizedTime)."""
    kind = time_choice.getName()
    moment = time_choice[kind].asDateTime
    if kind == "utcTime" and moment.year >= 2050:  # RFC 5280: a two-digit year YY >= 50 is 19YY
        moment = moment.replace(year=moment.year - 100)
    return float(calendar.timegm(moment.utctimetuple()))


def public_key_from_pem(pem: bytes) -> Tuple[int, int, float, float]:
    """(modulus, exponent, notBefore, notAfter) of a PEM X.509 certificate with an RSA key.

    Raises:
        ValueError: no PEM certificate, malformed DER, or a key that is not RSA.
    """
    der = rsa.pem.load_pem(pem, "CERTIFICATE")  # ValueError without the markers
    try:
        certificate, rest = der_decoder.decode(der, asn1Spec=rfc5280.Certificate())
    except PyAsn1Error as exc:
        raise ValueError(f"certificate is not DER X.509: {exc}") from None
    if rest:
        raise ValueError("certificate has trailing data")
    tbs = certificate["tbsCertificate"]
    not_before, not_after = _epoch(tbs["validity"]["notBefore"]), _epoch(tbs["validity"]["notAfter"])
    spki = tbs["subjectPublicKeyInfo"]
    if spki["algorithm"]["algorithm"] != rfc2437.rsaEncryption:
        raise ValueError("certificate key is not an RSA key")
    try:
        key = rsa.PublicKey.load_pkcs1(spki["subjectPublicKey"].asOctets(), "DER")
    except (PyAsn1Error, ValueError, TypeError) as exc:
        raise ValueError(f"RSAPublicKey is malformed: {exc}") from None
    if key.n.bit_length() < 1024 or key.e < 3 or key.e % 2 == 0:
        raise ValueError("RSA public key is too small or malformed")
    return key.n, key.e, not_before, not_after


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
    except Exception:  # noqa: BLE001 - botocore absent or changed: the system store is used
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The certificate must come from the checked host itself: redirects are refused."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ARG002 - the base class's signature
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
        if proxy is not None and getattr(proxy, "enabled", False):  # HTTP only (accounts.parse_proxy)
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
        except Exception as exc:  # noqa: BLE001 - URLError, HTTPError, timeouts, TLS, proxy: all one error
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
        if version not in _HASHES:
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
        try:
            verified = rsa.verify(message, signature, rsa.PublicKey(modulus, exponent)) == _HASHES[version]
        except (rsa.VerificationError, OverflowError, ValueError):  # OverflowError: signature >= modulus
            verified = False
        if not verified:
            raise NotificationError(f"SNS signature does not verify for message {envelope.get('MessageId')} "
                                    f"from {envelope.get('TopicArn')}")
