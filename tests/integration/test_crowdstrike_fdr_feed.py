"""CrowdStrike Falcon Data Replicator through the emulator: CrowdStrike's bucket and queue,
one SQS message listing several gzipped files (Elastic's published FDR test data, see
tests/fixtures/samples/README-crowdstrike-fdr.md), read with real boto3 calls over HTTP.

Every listed file written once with its sourcetype, the message deleted after the last one;
a redelivered message writes nothing; a half-read file resumes; a missing file or a size or
MD5 that differs is an ERROR naming the file and the message is left."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import time

from harness import CollectingSink, drained, make_collector, run_until
from sqs_s3_audit_engine.delivery.checkpoint import object_id

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples",
                       "crowdstrike_fdr")
_counter = itertools.count()
PREFIX = "data/f0714ca5-3689-448d-b5cc-582a6f7a56b1"
FILES = {  # key -> (fixture, sourcetype, time field or None for sensor rules)
    f"{PREFIX}/part-00000.gz": ("data_sensor.jsonl", "crowdstrike:events:sensor"),
    "fdrv2/aidmaster/2021-07-07/part-00000.gz": ("aidmaster.jsonl", "crowdstrike:inventory:aidmaster"),
    "fdrv2/userinfo/2021-07-07/part-00000.gz": ("userinfo.jsonl", "crowdstrike:inventory:userinfo"),
}


def unique(name: str) -> str:
    return f"{name}-{next(_counter)}-{int(time.time() * 1000) % 100000}"


def records(fixture: str):
    with open(os.path.join(SAMPLES, fixture), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gz(fixture: str) -> bytes:
    with open(os.path.join(SAMPLES, fixture), "rb") as f:
        return gzip.compress(f.read(), mtime=0)


def feed_with_files(vendor, files=FILES, visibility_timeout=30):
    name = unique("fdr")
    feed = vendor.create_feed(name, name, notify=False, visibility_timeout=visibility_timeout)
    bodies = {key: gz(fixture) for key, (fixture, _) in files.items()}
    for key, body in bodies.items():
        vendor.put_object(feed.bucket, key, body)
    return feed, bodies


def message(bucket: str, bodies: dict, **override) -> str:
    files = []
    for key, body in bodies.items():
        entry = {"path": key, "size": len(body), "checksum": hashlib.md5(body).hexdigest()}
        entry.update(override.get(key, {}))
        files.append(entry)
    return json.dumps({"cid": "ffffffff15754bcfb5f9152ec7ac90ac", "timestamp": 1625677488615,
                       "fileCount": len(files), "totalSize": sum(len(b) for b in bodies.values()),
                       "bucket": bucket, "pathPrefix": PREFIX, "files": files})


def errors(collector):
    return [line for line in collector.log_lines if line.startswith("ERROR")]


def test_every_listed_file_is_written_once_with_its_sourcetype_and_a_redelivery_writes_nothing(
        vendor, moto_server, tmp_path):
    feed, bodies = feed_with_files(vendor)
    vendor.send(feed.queue_url, message(feed.bucket, bodies))
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink)
    run_until(collector, drained(vendor, feed.queue_url))
    by_source = sink.by_source()
    assert set(by_source) == {f"s3://{feed.bucket}/{key}" for key in FILES}
    for key, (fixture, sourcetype) in FILES.items():
        got = by_source[f"s3://{feed.bucket}/{key}"]
        assert {st for st, _, _ in got} == {sourcetype}
        assert [json.loads(d) for _, _, d in got] == records(fixture)
    sensor = by_source[f"s3://{feed.bucket}/{PREFIX}/part-00000.gz"]
    assert [t for _, t, _ in sensor][:2] == ["1625677502.5", "1625677504.982"]
    assert not errors(collector) and not vendor.drain(feed.dlq_url)

    total = len(sink.events)
    vendor.send(feed.queue_url, message(feed.bucket, bodies))  # redelivered (a lost delete)
    again = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink)
    run_until(again, drained(vendor, feed.queue_url))
    assert len(sink.events) == total
    assert sum("object_already_done" in line for line in again.log_lines) == len(FILES)


def test_a_half_read_file_resumes_where_the_checkpoint_stands(vendor, moto_server, tmp_path):
    key = f"{PREFIX}/part-00000.gz"
    feed, bodies = feed_with_files(vendor, {key: FILES[key]})
    etag = vendor.s3.head_object(Bucket=feed.bucket, Key=key)["ETag"].strip('"')
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink)
    collector.parts.checkpoint.advance(object_id(feed.bucket, key, etag), 4)  # a kill after 4 records
    vendor.send(feed.queue_url, message(feed.bucket, bodies))
    run_until(collector, drained(vendor, feed.queue_url))
    assert [json.loads(d) for _, _, _, d in sink.events] == records("data_sensor.jsonl")[4:]


def test_a_missing_file_is_an_error_naming_it_the_message_is_left_and_completes_once_it_appears(
        vendor, moto_server, tmp_path):
    feed, bodies = feed_with_files(vendor, visibility_timeout=2)
    missing = "fdrv2/userinfo/2021-07-07/part-00000.gz"
    vendor.s3.delete_object(Bucket=feed.bucket, Key=missing)
    vendor.send(feed.queue_url, message(feed.bucket, bodies))
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink)
    run_until(collector, lambda: any(missing in line for line in errors(collector)), timeout=30)
    assert any("NoSuchKey" in line and f"key={missing}" in line for line in errors(collector)), errors(collector)
    assert vendor.depth(feed.queue_url) == 1  # left, not deleted
    written = len(sink.events)
    assert written == len(records("data_sensor.jsonl")) + len(records("aidmaster.jsonl"))

    vendor.put_object(feed.bucket, missing, bodies[missing])  # the file arrives
    again = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink)
    run_until(again, drained(vendor, feed.queue_url), timeout=40)
    assert len(sink.events) == written + len(records("userinfo.jsonl"))  # the others not written twice


def test_a_size_or_checksum_that_differs_is_an_error_naming_the_file_nothing_of_it_written_message_left(
        vendor, moto_server, tmp_path):
    feed, bodies = feed_with_files(vendor)
    sensor, aid = f"{PREFIX}/part-00000.gz", "fdrv2/aidmaster/2021-07-07/part-00000.gz"
    vendor.send(feed.queue_url, message(feed.bucket, bodies, **{
        sensor: {"checksum": "0" * 32}, aid: {"size": len(bodies[aid]) + 1}}))
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink)
    run_until(collector, lambda: len(errors(collector)) >= 2, timeout=30)
    lines = errors(collector)
    assert any("fdr_checksum_mismatch" in line and f"key={sensor}" in line for line in lines), lines
    assert any("fdr_size_mismatch" in line and f"key={aid}" in line for line in lines), lines
    assert {s for s, _, _, _ in sink.events} == {f"s3://{feed.bucket}/fdrv2/userinfo/2021-07-07/part-00000.gz"}
    assert vendor.depth(feed.queue_url) == 1


def test_a_message_giving_the_uncompressed_size_and_md5_is_read_too(vendor, moto_server, tmp_path):
    feed, bodies = feed_with_files(vendor)
    content = {key: gzip.decompress(body) for key, body in bodies.items()}
    vendor.send(feed.queue_url, message(feed.bucket, bodies, **{
        key: {"size": len(c), "checksum": hashlib.md5(c).hexdigest()} for key, c in content.items()}))
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink)
    run_until(collector, drained(vendor, feed.queue_url))
    assert not errors(collector)
    assert len(sink.events) == sum(len(records(fixture)) for fixture, _ in FILES.values())


def test_allowed_buckets_applies_to_the_bucket_an_fdr_message_names(vendor, moto_server, tmp_path):
    feed, bodies = feed_with_files(vendor)
    vendor.send(feed.queue_url, message(feed.bucket, bodies))
    sink = CollectingSink()
    refused = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink,
                             allowed_buckets="cs-prod-cannon-*")
    run_until(refused, lambda: errors(refused), timeout=30)
    assert any(feed.bucket in line for line in errors(refused)), errors(refused)
    assert not sink.events and vendor.depth(feed.queue_url) == 1  # refused whole, left for the dead-letter queue

    vendor.send(feed.queue_url, message(feed.bucket, bodies))
    allowed = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path / "b"), sink=sink,
                             allowed_buckets="cs-prod-cannon-*," + feed.bucket.split("-")[0] + "-*")
    run_until(allowed, lambda: len(sink.events) >= sum(len(records(f)) for f, _ in FILES.values()), timeout=60)
    assert not errors(allowed)


def test_the_doctor_reads_the_first_listed_fdr_file_with_the_sourcetype_its_folder_names(vendor, moto_server):
    from sqs_s3_audit_engine.aws import ObjectStore
    from sqs_s3_audit_engine.doctor.checks import _read_one
    from sqs_s3_audit_engine.config import parse_input

    aid = "fdrv2/aidmaster/2021-07-07/part-00000.gz"
    feed, bodies = feed_with_files(vendor, {aid: FILES[aid]})
    cfg = parse_input("doc", {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
                              "s3_endpoint_url": moto_server.endpoint})
    result = _read_one(cfg, {"Body": message(feed.bucket, bodies)}, ObjectStore(vendor.s3))
    assert result.status == "PASS", result.message
    assert "5 records" in result.message and "crowdstrike:inventory:aidmaster" in result.message
