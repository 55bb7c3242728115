"""CloudTrail log files and digest files for tests, in the documented format, signed.

Layout and fields follow AWS's "CloudTrail digest file structure" page
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html):
key ``AWSLogs/[o-id/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_
<region>_<trail>_<region>_<YYYYMMDDTHHMMSSZ>.json.gz``, the top-level fields of its sample
(``awsAccountId`` ... ``previousDigestSignature``, ``logFiles``), the previous digest's five
fields null in the first digest; signed as "Custom implementations of CloudTrail log file
integrity validation" describes, with the stand-in's key (:mod:`cloudtrail_standin`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import List, Optional

from cloudtrail_standin import CloudTrailStandin, sign

__all__ = ["Trail", "LogFile", "DigestFile"]

START = datetime(2025, 3, 4, 15, 0, 0, tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class LogFile:
    def __init__(self, bucket: str, key: str, raw: bytes):
        self.bucket, self.key, self.raw = bucket, key, raw
        self.body = gzip.compress(raw)
        self.sha256 = hashlib.sha256(raw).hexdigest()


class DigestFile:
    def __init__(self, bucket: str, key: str, raw: bytes, metadata: dict):
        self.bucket, self.key, self.raw, self.metadata = bucket, key, raw, metadata
        self.body = gzip.compress(raw)
        self.source = f"s3://{bucket}/{key}"


class Trail:
    """One trail's files for one account and region; digests chain to the previous one."""

    def __init__(self, standin: CloudTrailStandin, bucket: str, *, account: str = "111122223333",
                 region: str = "us-east-2", name: str = "your-trail-name", org: str = "", start: datetime = START):
        self.standin, self.bucket, self.account, self.region, self.name, self.org = standin, bucket, account, region, name, org
        self.clock = start
        self.previous: Optional[DigestFile] = None
        self._files = 0

    def _base(self) -> str:
        return f"AWSLogs/{self.org + '/' if self.org else ''}{self.account}"

    def log_file(self, records: Optional[List[dict]] = None) -> LogFile:
        self._files += 1
        moment = self.clock + timedelta(minutes=5 * self._files)
        if records is None:
            records = [{"eventVersion": "1.08", "eventTime": _iso(moment), "eventSource": "s3.amazonaws.com",
                        "eventName": "GetBucketAcl", "awsRegion": self.region, "recipientAccountId": self.account,
                        "eventID": f"{self.account}-{self.region}-{self._files}"}]
        key = (f"{self._base()}/CloudTrail/{self.region}/{moment:%Y/%m/%d}/{self.account}_CloudTrail_{self.region}_"
               f"{moment:%Y%m%dT%H%MZ}_{self._files:016x}.json.gz")
        raw = json.dumps({"Records": records}, separators=(",", ":")).encode()
        return LogFile(self.bucket, key, raw)

    def digest(self, files: List[LogFile], *, forge: bool = False, link: bool = True) -> DigestFile:
        """The next hourly digest listing ``files``; ``forge`` signs it with another key;
        ``link=False`` starts a new chain (logging restarted)."""
        start, end = self.clock, self.clock + timedelta(hours=1)
        self.clock = end
        key = (f"{self._base()}/CloudTrail-Digest/{self.region}/{end:%Y/%m/%d}/{self.account}_CloudTrail-Digest_"
               f"{self.region}_{self.name}_{self.region}_{end:%Y%m%dT%H%M%SZ}.json.gz")
        signing = self.standin.key(self.region)
        prev = self.previous if link else None
        fields = {
            "awsAccountId": self.account,
            "digestStartTime": _iso(start), "digestEndTime": _iso(end),
            "digestS3Bucket": self.bucket, "digestS3Object": key,
            "digestPublicKeyFingerprint": signing.fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": _iso(end - timedelta(minutes=9)), "oldestEventTime": _iso(start + timedelta(minutes=1)),
            "previousDigestS3Bucket": prev.bucket if prev else None,
            "previousDigestS3Object": prev.key if prev else None,
            "previousDigestHashValue": hashlib.sha256(prev.raw).hexdigest() if prev else None,
            "previousDigestHashAlgorithm": "SHA-256" if prev else None,
            "previousDigestSignature": prev.metadata["signature"] if prev else None,
            "logFiles": [{"s3Bucket": f.bucket, "s3Object": f.key, "hashValue": f.sha256, "hashAlgorithm": "SHA-256",
                          "newestEventTime": _iso(end - timedelta(minutes=9)),
                          "oldestEventTime": _iso(start + timedelta(minutes=1))} for f in files],
        }
        raw = json.dumps(fields, separators=(",", ":")).encode()
        to_sign = "{}\n{}/{}\n{}\n{}".format(fields["digestEndTime"], self.bucket, key, hashlib.sha256(raw).hexdigest(),
                                             fields["previousDigestSignature"] or "null").encode()
        signer = signing
        if forge:
            from cloudtrail_standin import SigningKey

            signer = SigningKey(0, 0)
        digest = DigestFile(self.bucket, key, raw, {"signature": sign(signer, to_sign), "signature-algorithm": "SHA256withRSA"})
        self.previous = digest
        return digest

