"""CrowdStrike Falcon Data Replicator (FDR) notifications.

FDR does not send S3 event notifications: CrowdStrike writes a batch of files into its own
bucket and sends one SQS message naming them all (shape as read by CrowdStrike's sample
consumer, github.com/CrowdStrike/FDR ``falcon_data_replicator.py``, which downloads
``files[].path`` from ``bucket`` and counts ``fileCount``/``totalSize``)::

    {"cid": "...", "timestamp": 1625677488615, "fileCount": 3, "totalSize": 132054,
     "bucket": "cs-prod-cannon-...", "pathPrefix": "data/f0714ca5-...",
     "files": [{"path": "data/f0714ca5-.../part-00000.gz", "size": 127151,
                "checksum": "4181bff30762315fd386c4a04467836d"}, ...]}

The message is recognised by that shape (``bucket`` and a ``files`` list), with no setting.
Paths are S3 keys as they are (not URL-encoded). ``size`` is the file's size in bytes as
stored, ``checksum`` the hex MD5 of the stored (gzipped) bytes, which is also the S3 ETag of
a single-part upload: Elastic's CrowdStrike integration test feed (elastic/integrations,
``packages/crowdstrike/data_stream/fdr/_dev/deploy/tf/main.tf``) sends FDR messages whose
``size``/``checksum`` are the byte count and MD5 of the objects it uploads. Both are checked
against what is read (:mod:`.fdr_checks`).
"""

from __future__ import annotations

from typing import List, NamedTuple, Optional

from .crowdstrike_fdr import for_path as fdr_log_type
from .errors import NotificationError
from .notification_types import CROWDSTRIKE_FDR, Notification, ObjectRef, excerpt

__all__ = ["FdrFile", "is_fdr", "fdr_files", "parse_fdr"]


class FdrFile(NamedTuple):
    """One file an FDR message lists."""

    bucket: str
    path: str
    size: Optional[int]
    checksum: str


def is_fdr(doc: dict) -> bool:
    """Whether a message body is an FDR notification (``bucket`` and a ``files`` list)."""
    return "bucket" in doc and isinstance(doc.get("files"), list) and "Records" not in doc


def fdr_files(doc: dict, excerpt: str) -> List[FdrFile]:
    """The files an FDR message lists, in order.

    Raises:
        NotificationError: no bucket, or an entry without a path, or a size or checksum
            that is not one (the message is refused whole: reading part of it would report
            a batch as written that was not).
    """
    bucket = doc.get("bucket")
    if not isinstance(bucket, str) or not bucket:
        raise NotificationError(f"CrowdStrike FDR notification without a bucket: {excerpt!r}")
    out: List[FdrFile] = []
    for index, entry in enumerate(doc["files"]):
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not path:
            raise NotificationError(f"CrowdStrike FDR notification: files[{index}] has no path: {excerpt!r}")
        size = entry.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise NotificationError(f"CrowdStrike FDR notification: files[{index}] ({path}) has size {size!r}, "
                                    "not a byte count")
        checksum = entry.get("checksum")
        if checksum is not None and not (isinstance(checksum, str) and _is_md5(checksum)):
            raise NotificationError(f"CrowdStrike FDR notification: files[{index}] ({path}) has checksum "
                                    f"{str(checksum)[:80]!r}, not a hex MD5")
        out.append(FdrFile(bucket, path, size, (checksum or "").lower()))
    return out


def _is_md5(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdefABCDEF" for c in text)


def parse_fdr(doc: dict, body: str) -> Notification:
    """A CrowdStrike FDR message : one object per listed file."""
    when = doc.get("timestamp")
    event_time = when / 1000.0 if isinstance(when, int) and not isinstance(when, bool) and when > 0 else None
    return Notification(kind=CROWDSTRIKE_FDR, objects=[
        ObjectRef(bucket=f.bucket, key=f.path, expected_size=f.size, checksum=f.checksum,
                  log_type=fdr_log_type(f.path), event_time=event_time)
        for f in fdr_files(doc, excerpt(body))])
