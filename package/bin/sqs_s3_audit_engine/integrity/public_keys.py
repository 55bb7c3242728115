"""CloudTrail's public keys, from ``cloudtrail:ListPublicKeys``, cached per region.

Source: CloudTrail API reference, "ListPublicKeys"
(https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_ListPublicKeys.html):
"Returns all public keys whose private keys were used to sign the digest files within the
specified time range"; CloudTrail uses one key pair per region, so a digest's key is looked
up in the digest's region. Each ``PublicKey`` has ``Value`` (DER, PKCS#1; boto3 hands it
over as bytes), ``ValidityStartTime``, ``ValidityEndTime`` and ``Fingerprint``, which is
matched against the digest's ``digestPublicKeyFingerprint``.

The endpoint is boto3's: ``AWS_ENDPOINT_URL_CLOUDTRAIL`` (or ``AWS_ENDPOINT_URL``) override it.
Without the permission the caller learns it ("denied", naming ``cloudtrail:ListPublicKeys``)
and the digest is still checked for hashes and completeness.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Optional, Tuple

from ..aws_errors import DENIED_CODES

__all__ = ["KeyLookup", "PublicKeys", "PERMISSION", "parse_time"]

PERMISSION = "cloudtrail:ListPublicKeys"
#: regions looked up at most (AWS has some 35); a digest naming more is not checked
MAX_REGIONS = 64
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")


@dataclass(frozen=True)
class KeyLookup:
    """``status``: ``found`` (``der`` set), ``not_found``, ``expired``, ``denied`` or ``error``."""

    status: str
    der: bytes = b""
    reason: str = ""


def parse_time(text: Any) -> Optional[datetime]:
    """``2015-08-17T15:01:31Z`` (or a datetime) as an aware UTC datetime; None if unreadable."""
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    if not isinstance(text, str):
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


class PublicKeys:
    """Looks a digest's public key up by region and fingerprint.

    Args:
        client_for: returns a boto3 ``cloudtrail`` client for a region.
        retry_after: seconds before a region that denied the call or failed is asked again.
        min_interval: seconds between two listings of a region's keys: however many forged
            fingerprints arrive, a region is asked at most once per interval (each listing
            covers the digest's start up to now, so a key CloudTrail rotated to is in it).
        clock: time source (tests).

    No lock is held across a network call but the region's own (lookups in other regions
    go on); regions are bounded (:data:`MAX_REGIONS`, names shaped like a region), so the
    keys, clients and locks kept are too.
    """

    def __init__(self, *, client_for: Callable[[str], Any], retry_after: float = 300.0, min_interval: float = 30.0,
                 clock: Callable[[], float] = time.monotonic):
        self._client_for = client_for
        self._retry_after = retry_after
        self._min_interval = min_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: Dict[str, Dict[str, Tuple[bytes, Optional[datetime], Optional[datetime]]]] = {}
        self._fetched: Dict[str, float] = {}  # region -> when its keys were last listed
        self._failure: Dict[str, Tuple[float, KeyLookup]] = {}
        self._region_locks: Dict[str, threading.Lock] = {}

    def lookup(self, *, region: str, fingerprint: str, start: Optional[datetime], end: Optional[datetime]) -> KeyLookup:
        """The key that signed a digest of ``region`` covering ``start``..``end``."""
        with self._lock:
            if region not in self._region_locks:
                if not _REGION.match(region or ""):
                    return KeyLookup("error", reason=f"{region[:40]!r} is not an AWS region name")
                if len(self._region_locks) >= MAX_REGIONS:
                    return KeyLookup("error", reason=f"more than {MAX_REGIONS} regions named by digests")
                self._region_locks[region] = threading.Lock()
            region_lock = self._region_locks[region]
        with region_lock:  # one ListPublicKeys per region at a time; other regions are not held up
            with self._lock:
                found = self._from_cache(region, fingerprint, end)
                if found is not None:
                    return found
                now = self._clock()
                failure = self._failure.get(region)
                if failure and now - failure[0] < self._retry_after:
                    return failure[1]
                fetched = self._fetched.get(region)
                if fetched is not None and now - fetched < self._min_interval:
                    return KeyLookup("not_found",
                                     reason=f"no public key with fingerprint {fingerprint[:64]} in {region}")
            result = self._fetch(region, start)  # the network call: no shared lock held
            with self._lock:
                if result is not None:
                    self._failure[region] = (now, result)
                    return result
                self._failure.pop(region, None)
                self._fetched[region] = now
                found = self._from_cache(region, fingerprint, end)
                if found is not None:
                    return found
            return KeyLookup("not_found", reason=f"no public key with fingerprint {fingerprint[:64]} in {region}")

    def _from_cache(self, region: str, fingerprint: str, end: Optional[datetime]) -> Optional[KeyLookup]:
        entry = self._keys.get(region, {}).get(fingerprint)
        if entry is None:
            return None
        der, valid_from, valid_to = entry
        if end is not None and ((valid_from and end < valid_from) or (valid_to and end > valid_to)):
            return KeyLookup(
                "expired", reason=f"public key {fingerprint} was not valid at digestEndTime {end:%Y-%m-%dT%H:%M:%SZ}"
            )
        return KeyLookup("found", der=der)

    def _fetch(self, region: str, start: Optional[datetime]) -> Optional[KeyLookup]:
        """Fill the cache for ``region``; a KeyLookup only when the call failed."""
        from botocore.exceptions import BotoCoreError, ClientError
        from botocore.parsers import ResponseParserError

        kwargs: Dict[str, Any] = {}
        if start is not None:
            kwargs["StartTime"] = start  # up to now (no EndTime): the current key too
        keys: Dict[str, Tuple[bytes, Optional[datetime], Optional[datetime]]] = {}
        try:
            client = self._client_for(region)
            token = None
            for _ in range(20):  # NextToken is "reserved for future use"; bounded all the same
                if token:
                    kwargs["NextToken"] = token
                answer = client.list_public_keys(**kwargs)
                for item in answer.get("PublicKeyList", []):
                    value = item.get("Value")
                    if isinstance(value, str):  # a client that did not decode the blob
                        import base64

                        value = base64.b64decode(value)
                    if item.get("Fingerprint") and value:
                        keys[str(item["Fingerprint"])] = (
                            bytes(value),
                            parse_time(item.get("ValidityStartTime")),
                            parse_time(item.get("ValidityEndTime")),
                        )
                token = answer.get("NextToken")
                if not token:
                    break
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            if code in DENIED_CODES or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
                return KeyLookup("denied", reason=f"{PERMISSION} denied in {region} ({code}): grant {PERMISSION} "
                                                  "to the input's user or role")
            return KeyLookup("error", reason=f"{PERMISSION} failed in {region}: {code}")
        except (BotoCoreError, ResponseParserError, OSError) as exc:
            return KeyLookup("error", reason=f"{PERMISSION} failed in {region}: {type(exc).__name__}")
        with self._lock:
            self._keys.setdefault(region, {}).update(keys)
        return None
