"""Whoever can send to the queue or write into the bucket, against the BUILT input (issue 19).

On Python 3.9 and 3.13, through S3 -> SQS -> the built input as splunkd runs it:

- with ``validate_sns_signature`` on, every body that is not a signed SNS envelope (a bare S3
  event, an EventBridge event, CloudTrail's SNS message without its envelope, an envelope
  without ``TopicArn``, a raw AWS Config record) is refused at ERROR and left for the
  dead-letter queue; nothing is written;
- ``allowed_buckets``: a notification naming another bucket is refused the same way, while
  the allowed bucket's objects are written;
- a key longer than S3's 1,024 bytes is refused at ERROR with a shortened key, and keys S3
  can hold that make a backtracking regex take minutes are filtered at once: the queue
  drains and the input answers SIGTERM.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from typing import Dict

import pytest

from harness import seed_splunkd
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn
from test_hostile import drain_and_stop, log_entries, s3_notification

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")

PYTHONS = pythons()
SESSION_KEY = "senders-splunkd-session-key-51c7"
RECORD = {"eventVersion": "1.08", "eventID": "e-0", "eventTime": "2025-03-04T16:30:00Z",
          "eventSource": "s3.amazonaws.com", "eventName": "GetObject"}


def start(python: str, vendor, tmp_path, name: str, feed, **extra: str) -> tuple:
    splunkd = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY), loglevel="DEBUG")
    splunkd.start()
    values: Dict[str, str] = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
                              "s3_endpoint_url": vendor.endpoint, "sts_endpoint_url": vendor.endpoint,
                              "index": "main", "max_workers": "2", **extra}
    run = RunningInput(python, input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), name, values),
                       str(tmp_path))
    return splunkd, run


def feed_for(vendor, prefix: str, python: str):
    tag = f"{python}-{os.getpid()}-{time.time_ns() % 10**6}"
    return vendor.create_feed(f"{prefix}-{tag}", f"{prefix}-{tag}", notify=False, visibility_timeout=2,
                              max_receives=1)


def eventbridge(bucket: str, key: str) -> str:
    """After https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html (Object Created)."""
    return json.dumps({"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
                       "source": "aws.s3", "account": "123456789012", "time": "2021-11-12T00:00:00Z",
                       "region": "us-east-1", "resources": [f"arn:aws:s3:::{bucket}"],
                       "detail": {"version": "0", "bucket": {"name": bucket},
                                  "object": {"key": key, "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184"},
                                  "reason": "PutObject"}})


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_with_sns_validation_on_only_signed_envelopes_are_accepted(python, vendor, tmp_path):
    feed = feed_for(vendor, "unsigned", python)
    key = "AWSLogs/123456789012/CloudTrail/us-east-1/2025/03/04/x.json"
    vendor.put_object(feed.bucket, key, json.dumps({"Records": [RECORD]}).encode())
    s3_body = s3_notification(feed.bucket, key)
    bodies = [
        s3_body,
        eventbridge(feed.bucket, key),
        json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": [key]}),  # CloudTrail's SNS Message, unwrapped
        json.dumps({"Type": "Notification", "MessageId": "m-1", "Message": s3_body,
                    "Timestamp": "2025-03-04T16:30:00.000Z"}),  # an envelope without TopicArn
        # A configuration item change as AWS Config sends it (raw delivery: no envelope), after
        # https://docs.aws.amazon.com/config/latest/developerguide/example-sns-notification.html
        json.dumps({"configurationItemDiff": None, "messageType": "ConfigurationItemChangeNotification",
                    "notificationCreationTime": "2025-03-04T16:30:00.000Z", "recordVersion": "1.3",
                    "configurationItem": {"resourceType": "AWS::EC2::Volume", "resourceId": "vol-ce676ccc",
                                          "awsRegion": "us-east-1", "configurationItemStatus": "OK"}}),
    ]
    for body in bodies:
        vendor.send(feed.queue_url, body)

    splunkd, run = start(PYTHONS[python], vendor, tmp_path, "unsigned", feed, validate_sns_signature="1")
    drain_and_stop(run, vendor, feed, splunkd)

    assert parse_events(run.stdout) == []
    entries = log_entries(tmp_path, "unsigned")
    refused = [e for e in entries if e.get("action") == "unusable_notification" and e["_level"] == "ERROR"]
    assert len(refused) == len(bodies), [e.get("reason") for e in refused]
    assert vendor.depth(feed.dlq_url) == len(bodies)  # every one left for the dead-letter queue
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_allowed_buckets_refuse_notifications_naming_another_bucket(python, vendor, tmp_path):
    feed = feed_for(vendor, "allowed", python)
    other = feed_for(vendor, "elsewhere", python)
    key = "AWSLogs/123456789012/CloudTrail/us-east-1/2025/03/04/x.json"
    for bucket in (feed.bucket, other.bucket):
        vendor.put_object(bucket, key, json.dumps({"Records": [dict(RECORD, eventID=bucket)]}).encode())
    vendor.send(feed.queue_url, s3_notification(feed.bucket, key))
    vendor.send(feed.queue_url, s3_notification(other.bucket, key))
    vendor.send(feed.queue_url, eventbridge(other.bucket, key))

    splunkd, run = start(PYTHONS[python], vendor, tmp_path, "allowed", feed,
                         allowed_buckets=f"{feed.bucket[:8]}*,not-this-one")
    drain_and_stop(run, vendor, feed, splunkd)

    events = parse_events(run.stdout)
    assert [json.loads(e["data"])["eventID"] for e in events] == [feed.bucket]
    entries = log_entries(tmp_path, "allowed")
    refused = [e for e in entries if e.get("action") == "unusable_notification" and e["_level"] == "ERROR"]
    assert len(refused) == 2 and all("allowed_buckets" in e.get("reason", "") for e in refused)
    assert vendor.depth(feed.dlq_url) == 2


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_long_keys_are_refused_and_key_filters_cannot_freeze_the_input(python, vendor, tmp_path):
    feed = feed_for(vendor, "longkey", python)
    good = "AWSLogs/123456789012/CloudTrail/us-east-1/2025/03/04/trail.json.gz"
    vendor.put_object(feed.bucket, good, gzip.compress(json.dumps({"Records": [RECORD]}).encode()))
    long_key = "AWSLogs/" + "CloudTrail/" * 1576 + "x.json.gz"  # 17,353 characters
    vendor.send(feed.queue_url, s3_notification(feed.bucket, long_key))
    # Keys S3 can hold (1,024 bytes) on which a backtracking engine takes a minute each.
    # None matches the include filter; deciding so takes re about a minute each.
    for n in range(4):
        slow = f"{n}/CloudTrail/"
        slow += "a" * (1024 - len(slow) - len(".json.gz")) + ".json.gz"
        assert len(slow.encode()) == 1024
        vendor.send(feed.queue_url, s3_notification(feed.bucket, slow))
    vendor.send(feed.queue_url, s3_notification(feed.bucket, good))

    splunkd, run = start(PYTHONS[python], vendor, tmp_path, "longkey", feed,
                         key_include_regex=r".*.*.*x|/trail\.json\.gz$", key_exclude_regex=r".*/CloudTrail/.*\.skip$")
    drain_and_stop(run, vendor, feed, splunkd, timeout=90)  # includes: SIGTERM answered within 10 s

    assert [json.loads(e["data"])["eventID"] for e in parse_events(run.stdout)] == ["e-0"]
    entries = log_entries(tmp_path, "longkey")
    assert len([e for e in entries if e.get("action") == "object_filtered"]) == 4
    refused = [e for e in entries if e.get("action") == "unusable_notification" and e["_level"] == "ERROR"]
    assert len(refused) == 1 and "1024-byte limit" in refused[0]["reason"]
    assert len(refused[0]["reason"]) < 400  # the key shortened, not 17 KB in one log line
    assert vendor.depth(feed.dlq_url) == 1


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_a_flood_of_sns_topics_keeps_warnings_and_the_log_bounded(python, vendor, tmp_path):
    feed = feed_for(vendor, "topics", python)
    for n in range(120):  # each from a topic of its own with a 50 KB name, naming no S3 object
        vendor.send(feed.queue_url, json.dumps({
            "Type": "Notification", "MessageId": f"m-{n}", "Subject": "ALARM: cpu",
            "TopicArn": f"arn:aws:sns:us-east-1:123456789012:t{n}-" + "x" * 50_000,
            "Message": json.dumps({"AlarmName": "cpu", "NewStateValue": "ALARM"}),
            "Timestamp": "2025-03-04T16:30:00.000Z"}))

    splunkd, run = start(PYTHONS[python], vendor, tmp_path, "topics", feed)
    drain_and_stop(run, vendor, feed, splunkd)

    entries = log_entries(tmp_path, "topics")
    unrelated = [e for e in entries if e.get("action") == "unrelated_notification"]
    assert len(unrelated) == 120  # every one deleted, each logged (DEBUG after the first 20 WARNINGs)
    assert len([e for e in unrelated if e["_level"] == "WARNING"]) == 20
    assert vendor.depth(feed.dlq_url) == 0
    log = tmp_path / "var" / "log" / "splunk" / "ta_sqs_s3_audit_topics.log"
    assert max(len(line) for line in open(log, encoding="utf-8")) < 2000


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_memory_bombs_keep_a_four_worker_input_under_200_mb(python, vendor, tmp_path):
    # The shapes of issue 19's finding 1, at once on 4 workers: the 48 KiB gzip object of
    # {"Records":[...], "m0":[{},{},...], ...} (40 MB of text; the old decoder grew by 1.2 GB),
    # a record of 2.5 million empty objects, and an OTLP resourceLogs element of 32 MiB.
    feed = vendor.create_feed(f"mem-{python}-{os.getpid()}-{time.time_ns() % 10**6}".lower(),
                              f"mem-{python}-{os.getpid()}-{time.time_ns() % 10**6}", visibility_timeout=30,
                              max_receives=1)
    record = json.dumps(RECORD, separators=(",", ":"))
    empties = "[" + ",".join(["{}"] * 330_000) + "]"
    members = "{" + '"Records":[' + record + "]," + ",".join(f'"m{n}":{empties}' for n in range(40)) + "}"
    log_record = {"timeUnixNano": "1741105800000000000", "body": {"stringValue": "x" * 200}}
    otlp = json.dumps({"resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": [
        log_record] * 120_000}]}]}, separators=(",", ":"))
    objects = {
        "bomb/members.json.gz": gzip.compress(members.encode(), 9),
        "bomb/empties.json.gz": gzip.compress(('{"Records":[' + "[" + ",".join(["{}"] * 2_500_000) + "]," + record
                                               + "]}").encode(), 9),
        "bomb/otlp.json.gz": gzip.compress(otlp.encode(), 9),
        "bomb/members-2.json.gz": gzip.compress(members.replace("e-0", "e-1").encode(), 9),
    }
    assert len(objects["bomb/members.json.gz"]) < 64 << 10
    for key, body in objects.items():
        vendor.put_object(feed.bucket, key, body)

    splunkd, run = start(PYTHONS[python], vendor, tmp_path, "mem", feed, max_workers="4")
    peak = drain_and_stop(run, vendor, feed, splunkd, timeout=300)

    ids = sorted(json.loads(e["data"]).get("eventID", "otlp") for e in parse_events(run.stdout))
    assert ids == ["e-0", "e-0", "e-1"], ids  # the OTLP element and the empties record are bad records
    entries = log_entries(tmp_path, "mem")
    bad = {(e.get("key"), e.get("reason")) for e in entries if e.get("action") == "bad_record"}
    assert {("bomb/empties.json.gz", "record_too_large"), ("bomb/otlp.json.gz", "record_too_large")} <= bad
    print(f"peak VmHWM of the input: {peak // 1024} MB")
    assert peak < 200 * 1024, f"peak RSS {peak // 1024} MB"


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_json_lines_that_only_look_like_a_digest_are_written_as_records(python, vendor, tmp_path):
    # Issue 19, finding 7: the first record carries digestStartTime and digestEndTime; the
    # object was taken for a digest, refused by the digest check, and its 50 records lost.
    feed = vendor.create_feed(f"lookalike-{python}-{os.getpid()}-{time.time_ns() % 10**6}",
                              f"lookalike-{python}-{os.getpid()}-{time.time_ns() % 10**6}", visibility_timeout=3,
                              max_receives=2)
    first = dict(RECORD, eventID="r-0", digestStartTime="2025-03-04T16:00:00Z", digestEndTime="2025-03-04T17:00:00Z")
    records = [first] + [dict(RECORD, eventID=f"r-{n}") for n in range(1, 50)]
    vendor.put_object(feed.bucket, "app/lookalike.jsonl", "".join(json.dumps(r) + "\n" for r in records).encode())

    splunkd, run = start(PYTHONS[python], vendor, tmp_path, "lookalike", feed)
    drain_and_stop(run, vendor, feed, splunkd)

    ids = [json.loads(e["data"])["eventID"] for e in parse_events(run.stdout)]
    assert ids == [r["eventID"] for r in records]
    assert vendor.depth(feed.dlq_url) == 0
