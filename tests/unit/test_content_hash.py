"""The events stage hashes an object's uncompressed bytes, whole, even when it resumes mid-object."""

from __future__ import annotations

import gzip
import hashlib
import io
import json

from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.integrity import ContentHash
from sqs_s3_audit_engine.integrity.intake import CLOUDTRAIL_LOG_KEY

KEY = "AWSLogs/111122223333/CloudTrail/us-east-2/2025/03/04/111122223333_CloudTrail_us-east-2_20250304T1505Z_abc.json.gz"


def cloudtrail_file(count: int) -> bytes:
    records = [{"eventVersion": "1.08", "eventID": f"id-{i}", "eventTime": "2025-03-04T15:05:00Z"} for i in range(count)]
    return (json.dumps({"Records": records}, indent=1) + "\n").encode()  # bytes after the last record too


def events(raw: bytes, start: int = 0):
    content_hash = ContentHash()
    stage = ObjectEvents(io.BytesIO(gzip.compress(raw)), bucket="b", key=KEY, start=start, content_hash=content_hash)
    return list(stage), stage


def test_the_hash_is_of_the_uncompressed_content_including_bytes_after_the_last_record():
    raw = cloudtrail_file(50)
    written, stage = events(raw)
    assert len(written) == 50
    assert stage.meta == {"sha256": hashlib.sha256(raw).hexdigest()}


def test_a_resumed_object_is_hashed_whole_while_only_later_records_are_written():
    raw = cloudtrail_file(3000)
    written, stage = events(raw, start=2000)
    assert len(written) == 1000 and json.loads(written[0][1])["eventID"] == "id-2000"
    assert stage.meta["sha256"] == hashlib.sha256(raw).hexdigest()


def test_without_a_hasher_nothing_is_kept():
    stage = ObjectEvents(io.BytesIO(gzip.compress(cloudtrail_file(3))), bucket="b", key=KEY)
    assert len(list(stage)) == 3 and stage.meta == {}


def test_only_cloudtrail_log_keys_are_hashed():
    assert CLOUDTRAIL_LOG_KEY.search(KEY)
    assert CLOUDTRAIL_LOG_KEY.search("prefix/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/2025/03/04/x.json.gz")
    assert not CLOUDTRAIL_LOG_KEY.search(KEY.replace("/CloudTrail/", "/CloudTrail-Digest/"))
    assert not CLOUDTRAIL_LOG_KEY.search(KEY.replace("/CloudTrail/", "/CloudTrail-Insight/"))
    assert not CLOUDTRAIL_LOG_KEY.search("iru/activity/2025/03/04/x.jsonl.gz")
