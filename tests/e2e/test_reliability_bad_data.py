"""Reliability through the BUILT input, bad data: truncated, invalid, binary, vanished objects
and a 50 MB line are logged with bucket, key and reason, never block the good records around
them, stay within bounded memory, and poison ends in the dead-letter queue; a JSON Lines object
whose first record is too large keeps the other records' sourcetype and time.

Each test runs output/TA_sqs_s3_audit/bin/sqs_s3_audit.py as splunkd does (XML on stdin,
events on stdout) against moto server and the splunkd stand-in (helpers:
tests/reliability_harness.py).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import time
from urllib.parse import quote, unquote_plus

import pytest

import sample_logs as samples
from modinput_runner import SCRIPT, parse_events
from reliability_harness import (PY313, PYTHONS, assert_no_secrets, log_lines, log_text, params, rss_kb, start_input,
                                 start_splunkd, upload_cloudtrail)

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")


# -- 4. bad data -------------------------------------------------------------------
class _HugeLine(io.RawIOBase):
    """A JSON Lines object whose first line is ``size`` bytes, generated as it is read."""

    def __init__(self, size: int, after: bytes):
        head = b'{"eventVersion":"1.08","eventID":"huge","eventTime":"2025-03-04T16:30:00Z","blob":"'
        self._parts = [head, None, b'"}\n' + after]
        self._filler = size - len(head) - 3
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer and self._parts:
            part = self._parts[0]
            if part is None:
                if self._filler <= 0:
                    self._parts.pop(0)
                    continue
                step = min(self._filler, 1 << 20)
                self._filler -= step
                self._buffer = b"x" * step
            else:
                self._buffer = self._parts.pop(0)
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def s3_notification(bucket: str, key: str) -> str:
    return json.dumps({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                                    "eventTime": "2025-03-04T16:30:00.000Z", "eventName": "ObjectCreated:Put",
                                    "s3": {"bucket": {"name": bucket}, "object": {"key": quote(key), "size": 1}}}]})


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_bad_data_is_logged_with_bucket_key_and_reason_never_blocks_and_poison_ends_in_the_dead_letter_queue(
        python, moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"bad-{python}-{os.getpid()}", f"bad-{python}-{os.getpid()}",
                              visibility_timeout=2, max_receives=2)
    good = upload_cloudtrail(vendor, feed, 2, 200, seed=900)
    cut_records = samples.cloudtrail_records(2000, seed=3)
    full = samples.cloudtrail_object(cut_records)
    vendor.put_object(feed.bucket, "bad/truncated.json.gz", full[: len(full) // 3])
    good += upload_cloudtrail(vendor, feed, 2, 200, seed=910)
    vendor.put_object(feed.bucket, "bad/invalid.json",
                      b'{"Records": [{"eventVersion": "1.08", "eventID": "z", "eventTime": "2025-03-04T16:30:00Z"}, {bad')
    vendor.put_object(feed.bucket, "bad/binary.bin", bytes(range(256)) * 400)
    vendor.s3.upload_fileobj(  # 50 MB in one line, streamed up: never in the test's memory
        io.BufferedReader(_HugeLine(50 << 20, b'{"eventVersion":"1.08","eventID":"after-huge",'
                                              b'"eventTime":"2025-03-04T16:30:00Z"}\n'), 1 << 20),
        feed.bucket, "bad/huge-line.jsonl")
    vendor.send(feed.queue_url, s3_notification(feed.bucket, "bad/huge-line.jsonl"))  # multipart: say it ourselves
    assert vendor.s3.head_object(Bucket=feed.bucket, Key="bad/huge-line.jsonl")["ContentLength"] > 50 << 20
    vendor.put_object(feed.bucket, "bad/vanished.json.gz", gzip.compress(b"{}"))
    vendor.s3.delete_object(Bucket=feed.bucket, Key="bad/vanished.json.gz")  # gone before it is read
    good += upload_cloudtrail(vendor, feed, 2, 200, seed=920)
    splunkd = start_splunkd(vendor)
    peak = 0
    try:
        run = start_input(PYTHONS[python], splunkd, tmp_path, "bad", params(moto_server, feed, max_workers=2))
        deadline = time.time() + 180
        while time.time() < deadline and vendor.depth(feed.queue_url) > 0:
            assert run.proc.poll() is None, run.stderr[-2000:]
            peak = max(peak, rss_kb(run.proc.pid, "VmHWM"))
            time.sleep(0.2)
        assert vendor.depth(feed.queue_url) == 0
        peak = max(peak, rss_kb(run.proc.pid, "VmHWM"))
        assert run.proc.poll() is None
        assert run.terminate() < 10 and run.proc.returncode == 0
    finally:
        splunkd.stop()
    events = parse_events(run.stdout)
    ids = [json.loads(e["data"]).get("eventID") for e in events]
    assert sorted(i for i in ids if i in set(good)) == sorted(good)  # every good record, once
    assert ids.count("after-huge") == 1 and "huge" not in ids  # the oversize line skipped, the next one kept
    assert ids.count("z") == 1  # the record before the break is written once, across redeliveries
    # What the truncated object held before the cut is written once, in order, and nothing else.
    rest = [i for i in ids if i not in set(good) and i not in ("z", "after-huge")]
    assert rest == [r["eventID"] for r in cut_records[: len(rest)]] and len(rest) < len(cut_records)
    assert len(ids) == len(set(ids))
    assert peak < 400 * 1024, f"peak RSS {peak // 1024} MB on a 50 MB line"

    log = log_text(tmp_path, "bad")
    for key, reason in (("bad/truncated.json.gz", "truncated_gzip"), ("bad/invalid.json", "invalid_json"),
                        ("bad/binary.bin", "binary_content"), ("bad/huge-line.jsonl", "record_too_large"),
                        ("bad/vanished.json.gz", "NoSuchKey")):
        assert log_lines(log, "ERROR", bucket=feed.bucket, key=key, reason=reason), (key, reason)
    poisoned = sorted(unquote_plus(record["s3"]["object"]["key"]) for message in vendor.drain(feed.dlq_url)
                      for record in json.loads(message["Body"]).get("Records", []))
    assert poisoned == ["bad/binary.bin", "bad/invalid.json", "bad/truncated.json.gz", "bad/vanished.json.gz"]
    assert "Traceback" not in log and "Traceback" not in run.stderr
    assert_no_secrets({"log": log, "stderr": run.stderr, "events": run.stdout.decode()})


def test_a_json_lines_object_whose_first_record_is_too_large_keeps_the_other_records_sourcetype_and_time(
        moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"first-huge-{os.getpid()}", f"first-huge-{os.getpid()}")
    records = samples.cloudtrail_records(3, seed=77)
    after = b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records)
    vendor.put_object(feed.bucket, "big/first-line-too-large.jsonl", _HugeLine(9 << 20, after).readall())
    splunkd = start_splunkd(vendor)
    try:
        run = start_input(PY313, splunkd, tmp_path, "firsthuge", params(moto_server, feed))
        run.wait_for(lambda: run.event_count() >= 3 and vendor.depth(feed.queue_url) == 0, 60)
        assert run.terminate() < 10 and run.proc.returncode == 0
    finally:
        splunkd.stop()
    events = parse_events(run.stdout)
    assert [json.loads(e["data"]) for e in events] == records
    assert [(e["sourcetype"], e["time"]) for e in events] == [("aws:cloudtrail", samples.epoch_of(r["eventTime"]))
                                                               for r in records]
    assert log_lines(log_text(tmp_path, "firsthuge"), "ERROR", key="big/first-line-too-large.jsonl",
                     reason="record_too_large")
