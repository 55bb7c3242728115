"""Backfill over moto: existing objects once, overlapping live notifications no second time."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone

import sample_logs as samples
from harness import CollectingSink, ListHandler, make_collector, run_until
from sqs_s3_audit_engine.backfill import Backfill


def backfill_for(collector, feed, tmp_path, prefix="AWSLogs/", start=0.0):
    log = logging.getLogger(f"test.backfill.{id(collector)}")
    handler = ListHandler()
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    job = Backfill(collector.store, collector.ingest.read_object, wants_key=collector.cfg.wants_key,
                   bucket=feed.bucket, prefix=prefix, start_epoch=start, state_dir=str(tmp_path), input_name="bf",
                   log=log)
    job.log_lines = handler.lines
    return job


def test_backfill_and_live_notifications_over_the_same_objects_write_each_record_once(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(f"backfill-{int(time.time() * 1000) % 10**7}", f"backfill-q-{time.time_ns() % 10**7}")
    expected = []
    for i in range(6):
        records = samples.cloudtrail_records(300, seed=100 + i)
        vendor.put_object(feed.bucket, samples.cloudtrail_key(i), samples.cloudtrail_object(records))
        expected += [r["eventID"] for r in records]
    vendor.put_object(feed.bucket, "other/skip.json", b'{"a": 1}')
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink, max_workers="3")
    job = backfill_for(collector, feed, tmp_path)
    # Backfill and live notifications (the six messages are still on the queue) run at once.
    thread = threading.Thread(target=job.run)
    thread.start()
    run_until(collector, lambda: not thread.is_alive() and vendor.depth(feed.queue_url) == 0)
    thread.join()
    ids = [json.loads(d)["eventID"] for s, st, t, d in sink.events if "AWSLogs/" in s]
    assert sorted(ids) == sorted(expected)
    assert any("action=backfill_done" in line for line in job.log_lines)
    # Run again: the finished backfill is remembered and writes nothing.
    again = backfill_for(collector, feed, tmp_path)
    assert again.run() is True
    assert any("backfill_already_done" in line for line in again.log_lines)
    assert len(ids) == len(expected)


def test_backfill_leaves_objects_before_the_start_date_alone(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(f"backfill-old-{time.time_ns() % 10**7}", f"backfill-old-{time.time_ns() % 10**7}", notify=False)
    vendor.put_object(feed.bucket, samples.cloudtrail_key(1), samples.cloudtrail_object(samples.cloudtrail_records(5)))
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
    future = datetime(2999, 1, 1, tzinfo=timezone.utc).timestamp()
    assert backfill_for(collector, feed, tmp_path, start=future).run() is True
    assert sink.events == []


def test_backfill_of_a_missing_bucket_says_what_failed(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(f"backfill-nb-{time.time_ns() % 10**7}", f"backfill-nb-{time.time_ns() % 10**7}", notify=False)
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), CollectingSink())
    job = backfill_for(collector, feed, tmp_path)
    job.bucket = "no-such-bucket-here"
    assert job.run() is False
    [line] = [text for text in job.log_lines if "backfill_failed" in text]
    assert "s3:ListBucket failed: NoSuchBucket" in line
