"""What a parsed notification is: the objects it names, the records it carries, its kind.

:mod:`.notifications` builds these from a message body (with :mod:`.notification_s3` and
:mod:`.notification_fdr` for the shapes that name S3 objects); :mod:`.ingest`, :mod:`.backfill`
and :mod:`.notification_records` read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

__all__ = ["ObjectRef", "InlineRecord", "Notification", "excerpt", "short"]

#: kinds of notification
S3_EVENT = "s3"
EVENTBRIDGE = "eventbridge"
CLOUDTRAIL_SNS = "cloudtrail_sns"
TEST_EVENT = "s3_test_event"
CONFIG = "config"
SNS_CONFIG = "sns+config"
SNS_UNRELATED = "sns+unrelated"
CROWDSTRIKE_FDR = "crowdstrike_fdr"

#: S3's limit on an object key, in UTF-8 bytes
MAX_KEY_BYTES = 1024
#: an SNS topic ARN is at most about 300 characters (a 256-character name); longer ones are cut
MAX_TOPIC_CHARS = 320
#: S3's limit on a bucket name (legacy us-east-1 names; 63 today)
MAX_BUCKET_CHARS = 255


@dataclass(frozen=True)
class ObjectRef:
    """One object a notification names.

    ``event_time`` is the S3 event's own time (epoch seconds) when the notification
    carries one, for the ingestion-lag metric. A CrowdStrike FDR message also gives the
    file's ``expected_size`` and MD5 ``checksum`` (checked against what is read) and the
    ``log_type`` its folder names (used when the input's ``log_type`` is ``auto``).
    """

    bucket: str
    key: str
    version_id: str = ""
    etag: str = ""
    size: Optional[int] = None
    event_time: Optional[float] = None
    expected_size: Optional[int] = None
    checksum: str = ""
    log_type: str = ""


@dataclass(frozen=True)
class InlineRecord:
    """A record the notification carries itself (AWS Config through SNS).

    ``source`` is the SNS topic ARN (empty with SNS raw message delivery, where the
    body carries no envelope); ``message_id`` the SNS message id, which stays the same
    on every redelivery; ``value`` the record (the SNS ``Message``).
    """

    source: str
    message_id: str
    log_type: str
    value: dict


@dataclass
class Notification:
    """A parsed message: its kind, the objects to read, records it carries, records it
    ignored, and, for an SNS message that is none of the add-on's business, which topic
    and subject sent it (``unrelated``)."""

    kind: str
    objects: List[ObjectRef] = field(default_factory=list)
    ignored: List[str] = field(default_factory=list)  # e.g. "ObjectRemoved:Delete s3://b/k"
    records: List[InlineRecord] = field(default_factory=list)
    unrelated: str = ""
    #: (bucket, key) of the records it ignored: vetted like the objects
    ignored_refs: List[tuple] = field(default_factory=list)

    def ignore(self, event: str, bucket: str, key: str) -> None:
        self.ignored.append(f"{event} s3://{bucket}/{key}")
        self.ignored_refs.append((bucket, key))

    def named(self) -> List[tuple]:
        """Every (bucket, key) the notification names, read or ignored."""
        return [(ref.bucket, ref.key) for ref in self.objects] + list(self.ignored_refs)


def excerpt(body: str, limit: int = 200) -> str:
    """The first ``limit`` characters of a body, on one line, for error logs."""
    text = " ".join(str(body)[: limit + 1].split())
    return text if len(text) <= limit else text[:limit] + "..."


def short(text: str, limit: int = 120) -> str:
    """A name from a message cut for a log line: its start, its length, its end."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit // 2]}...({len(text)} characters)...{text[-limit // 4:]}"
