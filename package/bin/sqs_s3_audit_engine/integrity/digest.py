"""CloudTrail digest files: parse one, rebuild its data signing string, verify its signature.

Sources (AWS CloudTrail user guide and API reference):

- "CloudTrail digest file structure"
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
  (key layout, organisation trails' ``o-<id>/`` segment, ``_backfill`` digests, the fields;
  the five ``previousDigest*`` fields are null in the first digest of a chain; the digest's
  own signature is hex in the object metadata ``x-amz-meta-signature``, its algorithm in
  ``x-amz-meta-signature-algorithm``).
- "Custom implementations of CloudTrail log file integrity validation"
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html
  (data signing string: ``digestEndTime`` newline ``digestS3Bucket/digestS3Object`` newline
  hex SHA-256 of the uncompressed digest file newline ``previousDigestSignature``, the literal
  ``null`` when there is none; SHA256withRSA, i.e. RSASSA-PKCS1-v1_5 over SHA-256; a log
  file's ``hashValue`` is the hex SHA-256 of its uncompressed content; check that the digest
  was read from its original location).
- "ListPublicKeys" https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_ListPublicKeys.html
  and "PublicKey" (``Value``: the DER encoded public key in PKCS#1 format), see
  :mod:`.public_keys`.

The RSA check uses the pure-Python ``rsa`` package (``lib/`` stays pure Python).
"""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import List, Optional

__all__ = ["DigestError", "DigestKey", "Digest", "LogFileEntry", "parse_key", "parse_digest",
           "signing_string", "verify_signature", "ALGORITHM"]

ALGORITHM = "SHA256withRSA"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
# .../AWSLogs/[o-orgid/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
#   <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz
_KEY = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail-Digest/"
    r"(?P<region>" + _REGION + r")/\d{4}/\d{2}/\d{2}/(?P=account)_CloudTrail-Digest_(?P=region)_"
    r"(?P<trail>.+)_(?P<home>" + _REGION + r")_(?P<stamp>\d{8}T\d{6}Z)(?P<backfill>_backfill)?\.json\.gz$"
)
_REQUIRED = ("awsAccountId", "digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
             "digestPublicKeyFingerprint", "digestSignatureAlgorithm", "logFiles")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


class DigestError(ValueError):
    """A digest file that cannot be checked: the message names what is wrong with it."""


@dataclass(frozen=True)
class DigestKey:
    """What a digest's S3 key says: the trail it belongs to and its end time."""

    account: str
    region: str
    trail: str
    home_region: str
    stamp: str
    organization: str = ""
    backfill: bool = False

    @property
    def chain_id(self) -> str:
        """One chain per trail, account and region (organisation trails: per member account)."""
        return f"{self.trail}|{self.home_region}|{self.account}|{self.region}"


@dataclass(frozen=True)
class LogFileEntry:
    bucket: str
    key: str
    hash_value: str
    hash_algorithm: str


@dataclass(frozen=True)
class Digest:
    """One parsed digest file, with the SHA-256 of its uncompressed bytes."""

    fields: dict
    sha256: str
    log_files: List[LogFileEntry]

    def __getitem__(self, name: str):
        return self.fields.get(name)

    @property
    def previous_signature(self) -> Optional[str]:
        return self.fields.get("previousDigestSignature")


def parse_key(key: str) -> Optional[DigestKey]:
    """The trail, account and regions named by a digest key; None when it is not one."""
    match = _KEY.search(key)
    if not match:
        return None
    return DigestKey(
        account=match.group("account"), region=match.group("region"), trail=match.group("trail"),
        home_region=match.group("home"), stamp=match.group("stamp"),
        organization=match.group("org") or "", backfill=bool(match.group("backfill")),
    )


def parse_digest(raw: bytes) -> Digest:
    """Parse the uncompressed bytes of a digest file.

    Raises:
        DigestError: not JSON, not an object, a documented field missing, or a listed log
            file without its bucket, key or hash.
    """
    try:
        fields = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DigestError(f"not a JSON digest file: {exc}") from None
    if not isinstance(fields, dict):
        raise DigestError("not a digest file: the JSON is not an object")
    missing = [name for name in _REQUIRED if name not in fields]
    if missing:
        raise DigestError("digest file lacks " + ", ".join(missing))
    if not isinstance(fields["logFiles"], list):
        raise DigestError("digest file's logFiles is not a list")
    entries = []
    for index, item in enumerate(fields["logFiles"]):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("s3Bucket", "s3Object", "hashValue")
        ):
            raise DigestError(f"digest file's logFiles[{index}] lacks s3Bucket, s3Object or hashValue")
        entries.append(LogFileEntry(bucket=item["s3Bucket"], key=item["s3Object"],
                                    hash_value=item["hashValue"].lower(),
                                    hash_algorithm=str(item.get("hashAlgorithm") or "SHA-256")))
    return Digest(fields=fields, sha256=hashlib.sha256(raw).hexdigest(), log_files=entries)


def signing_string(digest: Digest) -> bytes:
    """The data signing string AWS signs for this digest (previous signature ``null`` if none)."""
    previous = digest.previous_signature
    return "{}\n{}/{}\n{}\n{}".format(
        digest["digestEndTime"], digest["digestS3Bucket"], digest["digestS3Object"],
        digest.sha256, "null" if previous is None else previous,
    ).encode("utf-8")


def verify_signature(public_key_der: bytes, message: bytes, signature_hex: str) -> Optional[str]:
    """Check a SHA256withRSA signature; None when valid, else why it is not.

    ``public_key_der`` is a PKCS#1 ``RSAPublicKey`` in DER, as ``ListPublicKeys`` returns it.
    """
    import rsa  # imported here: only signature checks need it

    if not signature_hex or not _HEX.match(signature_hex) or len(signature_hex) % 2:
        return "the x-amz-meta-signature metadata is not a hex signature"
    try:
        key = rsa.PublicKey.load_pkcs1(public_key_der, format="DER")
    except Exception as exc:  # noqa: BLE001 - pyasn1 raises its own error types for malformed DER
        return f"the public key is not a DER PKCS#1 RSA key ({type(exc).__name__})"
    try:
        method = rsa.verify(message, binascii.unhexlify(signature_hex), key)
    except rsa.VerificationError:
        return "the signature does not match the digest file"
    if method != "SHA-256":  # rsa.verify accepts whatever hash the signature names
        return f"the signature uses {method}, not SHA-256"
    return None
