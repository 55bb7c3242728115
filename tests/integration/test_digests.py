"""CloudTrail digest validation through the collector: moto for S3 and SQS, the ListPublicKeys
stand-in for CloudTrail (AWS_ENDPOINT_URL_CLOUDTRAIL), digests signed in the test."""

from __future__ import annotations

import itertools
import json
import time

import pytest

from cloudtrail_standin import CloudTrailStandin
from digest_factory import Trail
from harness import CollectingSink, make_collector, run_until

_counter = itertools.count()
DIGEST = "aws:cloudtrail:digest"


def unique(name: str) -> str:
    return f"{name}-{next(_counter)}-{int(time.time() * 1000) % 100000}"


@pytest.fixture(scope="module")
def cloudtrail():
    server = CloudTrailStandin().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _endpoint(cloudtrail, monkeypatch):
    cloudtrail.deny = False
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail.endpoint)


def put(vendor, *files):
    for f in files:
        kwargs = {"Metadata": f.metadata} if hasattr(f, "metadata") else {}
        vendor.put_object(f.bucket, f.key, f.body, **kwargs)


def digest_events(sink):
    return {source: json.loads(data) for source, sourcetype, _, data in sink.events if sourcetype == DIGEST}


def collect(vendor, moto_server, feed, tmp_path, sink, expect_digests, timeout=90, **params):
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink, **params)
    run_until(collector, lambda: len(digest_events(sink)) >= expect_digests and vendor.depth(feed.queue_url) == 0, timeout)
    return collector


def test_intact_files_of_an_organisation_trail_in_several_accounts_and_regions_verify(vendor, moto_server, cloudtrail, tmp_path):
    feed = vendor.create_feed(unique("org-trail"), unique("q"))
    trails = [Trail(cloudtrail, feed.bucket, account=a, region=r, name="org-trail", org="o-exampleorgid")
              for a in ("111122223333", "444455556666") for r in ("us-east-1", "eu-west-1")]
    digests = []
    for trail in trails:
        files = [trail.log_file(), trail.log_file()]
        put(vendor, *files)
        digests.append(trail.digest(files))
    sink = CollectingSink()
    collect(vendor, moto_server, feed, tmp_path, sink, 0, timeout=60)  # log files first
    put(vendor, *digests)
    collect(vendor, moto_server, feed, tmp_path, sink, 4)
    events = digest_events(sink)
    assert set(events) == {d.source for d in digests}
    for event in events.values():
        assert (event["signature"], event["chain"], event["result"]) == ("valid", "first", "pass"), event
        assert event["files_listed"] == event["files_verified"] == 2 and event["organization"] == "o-exampleorgid"
    assert {(e["account"], e["region"]) for e in events.values()} == {(t.account, t.region) for t in trails}
    assert len([e for e in sink.events if e[1] == "aws:cloudtrail"]) == 8, "log records written as usual"
    nexts = [trail.digest([]) for trail in trails]
    put(vendor, *nexts)
    collect(vendor, moto_server, feed, tmp_path, sink, 8)
    assert {digest_events(sink)[d.source]["chain"] for d in nexts} == {"ok"}, "the chain survives a restart"


def test_altered_unannounced_and_deleted_files_forged_signatures_and_broken_chains_are_reported(vendor, moto_server, cloudtrail, tmp_path):
    feed = vendor.create_feed(unique("ct"), unique("q"))
    trail = Trail(cloudtrail, feed.bucket)
    good, altered, excluded, deleted = (trail.log_file() for _ in range(4))
    tampered = trail.log_file(records=[{"eventVersion": "1.08", "eventID": "forged", "eventTime": "2025-03-04T15:20:00Z"}])
    altered.body = tampered.body  # S3 holds other content than CloudTrail hashed
    excluded.key = excluded.key.replace(".json.gz", ".skipme.json.gz")
    put(vendor, good, altered, excluded)
    first = trail.digest([good, altered, excluded, deleted])
    forged = trail.digest([], forge=True)
    put(vendor, first)
    sink = CollectingSink()
    collect(vendor, moto_server, feed, tmp_path, sink, 1, cloudtrail_digest_grace=1, key_exclude_regex=r"\.skipme\.")
    event = digest_events(sink)[first.source]
    assert event["files_verified"] == 1 and event["modified"] == [f"s3://{feed.bucket}/{altered.key}"]
    assert event["missing"] == [f"s3://{feed.bucket}/{deleted.key}"], "not in the bucket: missing"
    assert event["not_known_here"] == [f"s3://{feed.bucket}/{excluded.key}"], "in the bucket, not read by this forwarder"
    assert event["result"] == "fail" and event["signature"] == "valid"
    put(vendor, forged)
    collect(vendor, moto_server, feed, tmp_path, sink, 2, cloudtrail_digest_grace=1)
    assert digest_events(sink)[forged.source]["signature"] == "invalid"
    trail.previous = first  # a forged digest never enters the chain (issue 19): link to the genuine one
    third = trail.digest([])
    fields = json.loads(third.raw)
    fields["previousDigestSignature"] = "ab" * 256
    vendor.put_object(feed.bucket, third.key, __import__("gzip").compress(json.dumps(fields).encode()), Metadata=third.metadata)
    collect(vendor, moto_server, feed, tmp_path, sink, 3, cloudtrail_digest_grace=1)
    broken = digest_events(sink)[third.source]
    assert broken["chain"] == "broken" and broken["signature"] == "invalid"


def test_a_digest_arriving_before_its_log_files_waits_for_them(vendor, moto_server, cloudtrail, tmp_path):
    feed = vendor.create_feed(unique("ct"), unique("q"), notify=False)
    trail = Trail(cloudtrail, feed.bucket)
    files = [trail.log_file(), trail.log_file()]
    digest = trail.digest(files)
    put(vendor, digest, *files)
    vendor.send(feed.queue_url, json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": [digest.key]}))
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink, cloudtrail_digest_grace=120)
    run_until(collector, lambda: vendor.depth(feed.queue_url) == 0 and any("digest_pending" in line for line in collector.log_lines), 60)
    assert digest_events(sink) == {}, "pending: its files were not read yet"
    vendor.send(feed.queue_url, json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": [f.key for f in files]}))
    collect(vendor, moto_server, feed, tmp_path, sink, 1, cloudtrail_digest_grace=120)  # a restart, too
    event = digest_events(sink)[digest.source]
    assert event["files_verified"] == 2 and event["missing"] == [] and event["result"] == "pass"


def test_list_public_keys_denied_and_skip(vendor, moto_server, cloudtrail, tmp_path):
    cloudtrail.deny = True
    feed = vendor.create_feed(unique("ct"), unique("q"))
    trail = Trail(cloudtrail, feed.bucket, region="ap-southeast-2")
    f = trail.log_file()
    put(vendor, f)
    sink = CollectingSink()
    collect(vendor, moto_server, feed, tmp_path, sink, 0, timeout=60)
    digest = trail.digest([f])
    put(vendor, digest)
    collect(vendor, moto_server, feed, tmp_path, sink, 1)
    event = digest_events(sink)[digest.source]
    assert event["signature"] == "not_checked" and event["missing_permission"] == "cloudtrail:ListPublicKeys"
    assert event["files_verified"] == 1 and event["result"] == "warn"
    skipped = trail.digest([])
    put(vendor, skipped)
    collector = collect(vendor, moto_server, feed, tmp_path, sink, 1, cloudtrail_digests="skip")
    assert skipped.source not in digest_events(sink)
    assert any("digest_skipped" in line for line in collector.log_lines)


def test_a_file_read_whose_by_key_hash_was_lost_is_found_through_its_object_entry(vendor, moto_server, cloudtrail, tmp_path):
    """A crash between finishing the object and keeping its hash by key: S3's HeadObject
    names the version, whose checkpoint entry holds the hash."""
    from sqs_s3_audit_engine.integrity.state import CheckpointState

    feed = vendor.create_feed(unique("ct"), unique("q"))
    trail = Trail(cloudtrail, feed.bucket)
    f = trail.log_file()
    put(vendor, f)
    sink = CollectingSink()
    first = collect(vendor, moto_server, feed, tmp_path, sink, 0, timeout=60)
    CheckpointState(first.parts.checkpoint).put(f"log:{feed.bucket}/{f.key}", {})  # the by-key entry, lost
    first.parts.checkpoint.close()
    digest = trail.digest([f])
    put(vendor, digest)
    collect(vendor, moto_server, feed, tmp_path, sink, 1, cloudtrail_digest_grace=1)
    event = digest_events(sink)[digest.source]
    assert event["files_verified"] == 1 and event["missing"] == event["not_known_here"] == [] and event["result"] == "pass"


def test_pending_digests_are_settled_off_the_receive_loop(vendor, moto_server, cloudtrail, tmp_path):
    # Issue 19, finding 5: the grace-period lookups (one HeadObject per listed file) ran on the
    # receive loop's tick; a slow settle must not stop messages from being received.
    import threading

    feed = vendor.create_feed(unique("offloop"), unique("q"))
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
    threads, real_tick = [], collector.digests.tick

    def slow_tick(force=False):
        threads.append(threading.current_thread().name)
        time.sleep(5)  # a settle that takes long
        return real_tick(force)

    collector.digests.tick = slow_tick
    trail = Trail(cloudtrail, feed.bucket)
    files = [trail.log_file() for _ in range(4)]
    put(vendor, *files)
    run_until(collector, lambda: vendor.depth(feed.queue_url) == 0 and len(sink.events) >= 4 and threads, 30)
    assert threads and set(threads) == {"digest-ticker"}
