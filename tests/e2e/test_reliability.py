"""No loss, no duplicates: faults, scale-out, bad data and a soak, through the BUILT input.

Each test runs output/TA_sqs_s3_audit/bin/sqs_s3_audit.py as splunkd does, against moto
server and the splunkd stand-in, and compares the eventIDs written with those uploaded.
"""

from __future__ import annotations

import json
import os
import time

import pytest

import sample_logs as samples
from aws_emulator import TEST_SECRET
from fault_proxy import FaultProxy
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from harness import seed_splunkd
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")
PYTHON = pythons().get("py313") or pythons().get("py39")
SESSION_KEY = "reliability-session-key"
EXTERNAL_ID = "reliability-external-id"
PROXY_PASSWORD = "pr0xy-pa55word-xyz"


def standin(vendor, proxy_port=None) -> SplunkdStandIn:
    role_arn = vendor.create_role(f"Reliability{time.time_ns() % 10**9}", EXTERNAL_ID)
    server = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY), role_arn, EXTERNAL_ID, "INFO", "900")
    if proxy_port:
        server.add_stanza("ta_sqs_s3_audit_settings", "proxy",
                          fields={"proxy_enabled": "1", "proxy_type": "http", "proxy_url": "127.0.0.1",
                                  "proxy_port": str(proxy_port), "proxy_username": "splunk"},
                          encrypted={"proxy_password": PROXY_PASSWORD})
    server.start()
    return server


def params(moto, feed, **extra):
    values = {"account": "acct", "iam_role": "reader", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto.endpoint, "sts_endpoint_url": moto.endpoint, "index": "main"}
    values.update(extra)
    return values


def upload_cloudtrail(vendor, feed, objects, per_object, seed=0):
    ids = []
    for i in range(objects):
        records = samples.cloudtrail_records(per_object, seed=seed + i)
        vendor.put_object(feed.bucket, samples.cloudtrail_key(seed + i), samples.cloudtrail_object(records))
        ids += [r["eventID"] for r in records]
    return ids


def event_ids(*streams):
    return [json.loads(e["data"])["eventID"] for stream in streams for e in parse_events(stream)
            if e["sourcetype"] == "aws:cloudtrail"]


def assert_no_secrets(*texts):
    for text in texts:
        for secret in (TEST_SECRET, EXTERNAL_ID, SESSION_KEY, PROXY_PASSWORD, "FQoGZXIvYXdzE"):
            assert secret not in text, f"{secret[:5]}... leaked"


def log_text(home, name):
    path = os.path.join(home, "var", "log", "splunk", f"ta_sqs_s3_audit_{name}.log")
    return open(path, encoding="utf-8").read()


def test_faults_between_the_input_and_aws_lose_and_duplicate_nothing(moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"faults-{os.getpid()}", f"faults-{os.getpid()}", visibility_timeout=8, max_receives=50)
    expected = upload_cloudtrail(vendor, feed, 24, 300)
    with FaultProxy(rate=0.15, seed=11) as proxy:
        splunkd = standin(vendor, proxy.port)
        try:
            run = RunningInput(PYTHON, input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "faults",
                                                 params(moto_server, feed, max_workers="3")), str(tmp_path))
            run.wait_for(lambda: run.event_count() >= len(expected) and vendor.depth(feed.queue_url) == 0, 240)
            time.sleep(1)
            assert run.proc.poll() is None  # it kept running through every fault
            assert run.terminate() < 10 and run.proc.returncode == 0
        finally:
            splunkd.stop()
    assert sum(proxy.counts.values()) >= 10, proxy.counts
    ids = event_ids(run.stdout)
    assert sorted(ids) == sorted(expected)  # every record exactly once
    assert proxy.auth_headers  # the proxy credentials were used
    log = log_text(str(tmp_path), "faults")
    assert_no_secrets(log, run.stderr, run.stdout.decode())


def test_three_forwarders_on_one_queue_write_every_record_exactly_once(moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"scale-{os.getpid()}", f"scale-{os.getpid()}", visibility_timeout=4, max_receives=50)
    expected = upload_cloudtrail(vendor, feed, 150, 40)
    expected += upload_cloudtrail(vendor, feed, 3, 25000, seed=500)  # slow objects outlive the visibility timeout
    splunkd = standin(vendor)
    runs = []
    try:
        for n in range(3):
            home = tmp_path / f"hf{n}"
            home.mkdir()
            runs.append(RunningInput(PYTHON, input_xml(splunkd.base_url, SESSION_KEY, str(home / "ckpt"), "scale",
                                                       params(moto_server, feed, max_workers="1")), str(home)))
        deadline = time.time() + 240
        while time.time() < deadline and not (sum(r.event_count() for r in runs) >= len(expected)
                                             and vendor.depth(feed.queue_url) == 0):
            time.sleep(0.5)
        for run in runs:
            assert run.terminate() < 10 and run.proc.returncode == 0
    finally:
        splunkd.stop()
    ids = event_ids(*(r.stdout for r in runs))
    assert sorted(ids) == sorted(expected)
    assert all(r.event_count() > 0 for r in runs)  # the work was shared


def test_bad_data_is_logged_never_blocks_and_poison_ends_in_the_dead_letter_queue(moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"bad-{os.getpid()}", f"bad-{os.getpid()}", visibility_timeout=2, max_receives=2)
    good = upload_cloudtrail(vendor, feed, 3, 200, seed=900)
    cut = samples.cloudtrail_object(samples.cloudtrail_records(2000, seed=3))
    vendor.put_object(feed.bucket, "bad/truncated.json.gz", cut[: len(cut) // 3])
    vendor.put_object(feed.bucket, "bad/invalid.json", b'{"Records": [{"eventVersion": "1.08", "eventID": "z"}, {bad')
    vendor.put_object(feed.bucket, "bad/binary.bin", os.urandom(100_000))
    big_line = b'{"eventVersion":"1.08","eventID":"huge","blob":"' + b"x" * (50 << 20) + b'"}\n'
    vendor.put_object(feed.bucket, "bad/huge-line.jsonl", big_line + b'{"eventVersion":"1.08","eventID":"after-huge","eventTime":"2025-03-04T16:30:00Z"}\n')
    vendor.send(feed.queue_url, json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": ["bad/vanished.json.gz"]}))
    splunkd = standin(vendor)
    try:
        run = RunningInput(PYTHON, input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "bad",
                                             params(moto_server, feed)), str(tmp_path))
        run.wait_for(lambda: vendor.depth(feed.queue_url) == 0, 180)
        assert run.proc.poll() is None
        assert run.terminate() < 10 and run.proc.returncode == 0
    finally:
        splunkd.stop()
    events = parse_events(run.stdout)
    ids = [json.loads(e["data"]).get("eventID") for e in events]
    assert all(ids.count(i) == 1 for i in good)
    assert ids.count("after-huge") == 1 and "huge" not in ids  # the oversize line skipped, the next one kept
    assert ids.count("z") == 1  # records before a break are written once, across redeliveries
    log = log_text(str(tmp_path), "bad")
    for key, reason in (("bad/truncated.json.gz", "truncated_gzip"), ("bad/invalid.json", "invalid_json"),
                        ("bad/binary.bin", "binary_content"), ("bad/huge-line.jsonl", "record_too_large"),
                        ("bad/vanished.json.gz", "NoSuchKey")):
        assert any(f"key={key}" in line and f"reason={reason}" in line and " ERROR " in line
                   for line in log.splitlines()), (key, reason)
    assert len(vendor.drain(feed.dlq_url)) == 4  # truncated, invalid, binary, vanished
    assert_no_secrets(log, run.stderr, run.stdout.decode())


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


@pytest.mark.soak
def test_a_soak_of_two_thousand_objects_grows_neither_memory_nor_checkpoint(moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"soak-{os.getpid()}", f"soak-{os.getpid()}", visibility_timeout=60)
    expected = upload_cloudtrail(vendor, feed, 2000, 5)
    splunkd = standin(vendor)
    samples_rss = []
    try:
        run = RunningInput(PYTHON, input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "soak",
                                             params(moto_server, feed, max_workers="4")), str(tmp_path))
        deadline = time.time() + 400
        while time.time() < deadline and not (run.event_count() >= len(expected) and vendor.depth(feed.queue_url) == 0):
            samples_rss.append(rss_mb(run.proc.pid))
            time.sleep(1)
        assert run.terminate() < 10
    finally:
        splunkd.stop()
    assert sorted(event_ids(run.stdout)) == sorted(expected)
    third = max(1, len(samples_rss) // 3)
    first, last = max(samples_rss[:third]), max(samples_rss[-third:])
    assert last <= first + 15, (first, last)
    checkpoint = os.path.join(tmp_path, "ckpt", "soak.ckpt.jsonl")
    assert os.path.getsize(checkpoint) < 2_000_000
