"""Collection over the AWS emulator: every notification form x every format, exactly once.

Real boto3 calls over HTTP to moto server; the engine's Collector writes into a collecting sink.
"""

from __future__ import annotations

import gzip
import itertools
import json
import time

import pytest

import sample_logs as samples
from harness import CollectingSink, drained, make_collector, run_until

_counter = itertools.count()


def unique(name: str) -> str:
    return f"{name}-{next(_counter)}-{int(time.time() * 1000) % 100000}"


def jsonl(records) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def formats():
    """(name, key suffix, body bytes, expected [(sourcetype, time, record-or-line)])."""
    ct = samples.cloudtrail_records(30)
    iru = samples.iru_events(12)
    otlp = samples.thrive_otlp(9)
    flat = samples.thrive_flat_lines(6)
    access = samples.access_log_lines(7)
    generic = [{"msg": "hello", "time": "2024-05-01T10:00:00Z"}, {"msg": "x"}]

    def otel_time(r):
        n = int(r["timeUnixNano"])
        return f"{n // 10**9}.{(n % 10**9) // 1000:06d}"

    otlp_expected = []
    for rl in otlp["resourceLogs"]:
        for sl in rl["scopeLogs"]:
            for lr in sl["logRecords"]:
                otlp_expected.append(("thrive:audit", otel_time(lr), dict(lr, resource=rl["resource"], scope=sl["scope"])))
    return [
        ("cloudtrail", ".json.gz", samples.cloudtrail_object(ct),
         [("aws:cloudtrail", samples.epoch_of(r["eventTime"]), r) for r in ct]),
        ("iru_jsonl_gz", ".jsonl.gz", gzip.compress(jsonl(iru)),
         [("iru:endpoint:activity", samples.epoch_of(r["occurred_at"]), r) for r in iru]),
        ("iru_array", ".json", json.dumps(iru).encode(),
         [("iru:endpoint:activity", samples.epoch_of(r["occurred_at"]), r) for r in iru]),
        ("iru_results", ".json", json.dumps({"results": iru, "next": None}, indent=2).encode(),
         [("iru:endpoint:activity", samples.epoch_of(r["occurred_at"]), r) for r in iru]),
        ("thrive_otlp_gz", ".json.gz", gzip.compress(json.dumps(otlp).encode()), otlp_expected),
        ("thrive_flat", ".jsonl", jsonl(flat), [("thrive:audit", otel_time(r), r) for r in flat]),
        ("s3_access", "", ("\n".join(line for line, _ in access) + "\n").encode(),
         [("aws:s3:accesslogs", t, line) for line, t in access]),
        ("generic_json", ".json", jsonl(generic), [("sqs_s3_audit:json", "1714557600", generic[0]),
                                                   ("sqs_s3_audit:json", None, generic[1])]),
        ("text", ".txt", b"first line\nsecond line \xc3\xa9\n", [("sqs_s3_audit:text", None, "first line"),
                                                                 ("sqs_s3_audit:text", None, "second line é")]),
    ]


FORMATS = formats()
KEYS = ["plain/{name}{suffix}", "with space/and+plus/{name} 1{suffix}", "ünïcödé/日本/{name}=x{suffix}"]


def check_events(sink: CollectingSink, bucket: str, key: str, expected) -> None:
    got = sink.by_source().get(f"s3://{bucket}/{key}", [])
    assert len(got) == len(expected), f"{key}: {len(got)} events, expected {len(expected)}"
    for (st, t, data), (est, et, erec) in zip(got, expected):
        assert st == est
        if et is not None:
            assert t == et
        if isinstance(erec, str):
            assert data == erec
        else:
            assert json.loads(data) == erec
            assert "\n" not in data


@pytest.mark.parametrize("via", ["direct", "sns", "sns_raw"])
@pytest.mark.parametrize("fmt", FORMATS, ids=[f[0] for f in FORMATS])
def test_s3_notifications_deliver_every_format_exactly_once(vendor, moto_server, tmp_path, via, fmt):
    name, suffix, body, expected = fmt
    feed = vendor.create_feed(unique("bkt"), unique("q"), via_sns=via != "direct", raw_delivery=via == "sns_raw")
    keys = [k.format(name=name, suffix=suffix) for k in KEYS]
    for key in keys:
        vendor.put_object(feed.bucket, key, body)
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
    run_until(collector, drained(vendor, feed.queue_url))
    for key in keys:
        check_events(sink, feed.bucket, key, expected)
    assert len(sink.events) == len(keys) * len(expected)
    assert collector.metrics.total["test_events"] == 1


def test_eventbridge_and_cloudtrail_sns_notifications_are_collected(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(unique("bkt"), unique("q"), notify=False)
    records = samples.cloudtrail_records(5)
    key_eb, key_ct = samples.cloudtrail_key(1), samples.cloudtrail_key(2)
    put = vendor.put_object(feed.bucket, key_eb, samples.cloudtrail_object(records))
    vendor.put_object(feed.bucket, key_ct, samples.cloudtrail_object(records))
    vendor.send(feed.queue_url, json.dumps({
        "version": "0", "id": "1", "detail-type": "Object Created", "source": "aws.s3", "account": "123456789012",
        "time": "2025-03-04T16:35:00Z", "region": "us-east-1", "resources": [],
        "detail": {"version": "0", "bucket": {"name": feed.bucket},
                   "object": {"key": key_eb, "size": 10, "etag": put["ETag"].strip('"')}, "reason": "PutObject"}}))
    vendor.send(feed.queue_url, json.dumps({
        "Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:123456789012:trail",
        "Message": json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": [key_ct]}),
        "Timestamp": "2025-03-04T16:35:00.000Z", "SignatureVersion": "1", "Signature": "x",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem"}))
    sink = CollectingSink()
    run_until(make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink), drained(vendor, feed.queue_url))
    for key in (key_eb, key_ct):
        check_events(sink, feed.bucket, key, [("aws:cloudtrail", samples.epoch_of(r["eventTime"]), r) for r in records])


def test_digests_are_skipped_and_filters_and_overrides_apply(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(unique("bkt"), unique("q"))
    records = samples.cloudtrail_records(4)
    vendor.put_object(feed.bucket, samples.cloudtrail_digest_key(1),
                      gzip.compress(json.dumps({"awsAccountId": "1", "digestStartTime": "a", "digestEndTime": "b"}).encode()))
    vendor.put_object(feed.bucket, samples.cloudtrail_key(1), samples.cloudtrail_object(records))
    vendor.put_object(feed.bucket, "ignored/other.json", b'{"a": 1}')
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink,
                               key_include_regex="AWSLogs/", sourcetype="custom:ct", index="aws", cloudtrail_digests="skip")
    run_until(collector, drained(vendor, feed.queue_url))
    assert {e[0] for e in sink.events} == {f"s3://{feed.bucket}/{samples.cloudtrail_key(1)}"}
    assert {e[1] for e in sink.events} == {"custom:ct"} and len(sink.events) == 4
    assert collector.metrics.total["objects_skipped"] == 1, "other.json, by key_include_regex"
    assert any("digest_skipped" in line for line in collector.log_lines), "cloudtrail_digests = skip"


def test_explicit_log_type_wins_over_detection(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(unique("bkt"), unique("q"))
    vendor.put_object(feed.bucket, "x.log", b'{"occurred_at": "2025-03-04T16:30:14Z", "actor_type": "user"}\n')
    sink = CollectingSink()
    run_until(make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink, log_type="text"),
              drained(vendor, feed.queue_url))
    [(source, sourcetype, _, data)] = sink.events
    assert sourcetype == "sqs_s3_audit:text" and data.startswith('{"occurred_at"')


def test_redelivered_and_duplicate_notifications_write_nothing_twice(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(unique("bkt"), unique("q"))
    records = samples.cloudtrail_records(2500)
    key = samples.cloudtrail_key(7)
    vendor.put_object(feed.bucket, key, samples.cloudtrail_object(records))
    sink = CollectingSink()
    run_until(make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink), drained(vendor, feed.queue_url))
    assert len(sink.events) == 2500
    # The same notification again (a lost delete, a second subscription): nothing more is written.
    vendor.send(feed.queue_url, json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": [key]}))
    again = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
    run_until(again, drained(vendor, feed.queue_url))
    assert len(sink.events) == 2500
    assert again.metrics.total["objects_already_done"] == 1


def test_bad_objects_never_block_the_queue_and_end_in_the_dead_letter_queue(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(unique("bkt"), unique("q"), visibility_timeout=2, max_receives=2)
    good = samples.cloudtrail_records(10)
    full = samples.cloudtrail_object(samples.cloudtrail_records(3000))
    vendor.put_object(feed.bucket, "bad/truncated.json.gz", full[: len(full) // 2])
    vendor.put_object(feed.bucket, "bad/junk.bin", bytes(range(256)) * 40)
    vendor.put_object(feed.bucket, "bad/empty.json", b"")
    vendor.put_object(feed.bucket, "bad/invalid.json", b'{"Records": [{"eventVersion": "1.08", "eventID": "x"}, {oops')
    vendor.send(feed.queue_url, "this is not a notification")
    vendor.put_object(feed.bucket, "good/ct.json.gz", samples.cloudtrail_object(good))
    vendor.send(feed.queue_url, json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": ["bad/vanished.json.gz"]}))
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
    run_until(collector, drained(vendor, feed.queue_url), timeout=90)
    sources = sink.by_source()
    assert len(sources[f"s3://{feed.bucket}/good/ct.json.gz"]) == 10
    # The records before the cut were written once; the cut object, the junk, the invalid JSON,
    # the vanished key and the unusable body went to the dead-letter queue.
    assert 0 < len(sources.get(f"s3://{feed.bucket}/bad/truncated.json.gz", [])) < 3000
    assert len(sources.get(f"s3://{feed.bucket}/bad/invalid.json", [])) == 1
    dead = vendor.drain(feed.dlq_url)
    assert len(dead) == 5
    log = "\n".join(collector.log_lines)
    for reason in ("truncated_gzip", "binary_content", "invalid_json", "NoSuchKey", "unusable_notification"):
        assert reason in log
    assert f"bucket={feed.bucket} key=bad/junk.bin" in log


def test_one_queue_holding_every_form_and_format_at_once_drains_exactly_once(vendor, moto_server, tmp_path):
    """Direct S3, SNS-wrapped, EventBridge and CloudTrail-SNS notifications of every format,
    awkward keys, a test event, a deletion and bad objects, all on one queue at once."""
    feed = vendor.create_feed(unique("all"), unique("all"), visibility_timeout=3, max_receives=2)
    expected = {}
    for name, suffix, body, records in FORMATS:
        for template in KEYS:
            key = template.format(name=name, suffix=suffix)
            vendor.put_object(feed.bucket, key, body)  # direct S3 notification (keys URL-encoded)
            expected[key] = records
    ct = samples.cloudtrail_records(40, seed=77)
    for form in ("eventbridge", "cloudtrail_sns", "sns_wrapped"):
        key = f"{form}/AWSLogs/123456789012/CloudTrail/us-east-1/x y+z.json.gz"
        vendor.s3.put_object(Bucket=feed.bucket, Key=key, Body=samples.cloudtrail_object(ct))
        expected[key] = [("aws:cloudtrail", samples.epoch_of(r["eventTime"]), r) for r in ct]
        if form == "eventbridge":
            body = {"version": "0", "detail-type": "Object Created", "source": "aws.s3", "time": "2025-03-04T16:35:00Z",
                    "detail": {"bucket": {"name": feed.bucket}, "object": {"key": key}}}
        elif form == "cloudtrail_sns":
            body = {"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "MessageId": "m",
                    "Message": json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": [key]})}
        else:
            inner = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                  "eventTime": "2025-03-04T16:35:00.000Z",
                                  "s3": {"bucket": {"name": feed.bucket},
                                         "object": {"key": key.replace(" ", "+").replace("+z", "%2Bz")}}}]}
            body = {"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "MessageId": "n",
                    "Message": json.dumps(inner)}
        vendor.send(feed.queue_url, json.dumps(body))
    vendor.send(feed.queue_url, json.dumps({"Records": [{"eventName": "ObjectRemoved:Delete", "s3": {
        "bucket": {"name": feed.bucket}, "object": {"key": "gone.json"}}}]}))
    vendor.put_object(feed.bucket, "bad/junk.bin", bytes(range(256)) * 40)
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink, max_workers="4")
    run_until(collector, drained(vendor, feed.queue_url), timeout=120)
    for key, records in expected.items():
        check_events(sink, feed.bucket, key, records)
    assert len(sink.events) == sum(len(r) for r in expected.values())
    assert len(vendor.drain(feed.dlq_url)) == 1  # only the junk object's message
