"""No loss, no duplicates: faults, scale-out, bad data, secrets and a soak, through the BUILT input.

Each test runs output/TA_sqs_s3_audit/bin/sqs_s3_audit.py as splunkd does (XML on stdin,
events on stdout) against moto server and the splunkd stand-in, and compares the
eventIDs written with those uploaded.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import threading
import time
from typing import Dict, List
from urllib.parse import quote, unquote_plus

import pytest

import sample_logs as samples
from aws_emulator import TEST_KEY_ID, TEST_SECRET
from fault_proxy import FAULTS, FaultProxy
from harness import seed_splunkd
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")

PYTHONS = pythons()
PY313 = PYTHONS.get("py313") or next(iter(PYTHONS.values()), "")
PY39 = PYTHONS.get("py39") or PY313
SESSION_KEY = "reliability-splunkd-session-key-51f0"
EXTERNAL_ID = "reliability-external-id-7c2e"
PROXY_USER = "splunk-hf"
PROXY_PASSWORD = "pr0xy:pa55@w/rd%xyz"  # characters that must be URL-quoted in a proxy URL
MOTO_TOKEN_PREFIX = "FQoGZXIvYXdzE"


# -- set-up helpers ----------------------------------------------------------------
def start_splunkd(vendor, loglevel: str = "INFO", proxy_port: int = 0) -> SplunkdStandIn:
    """The stand-in with account ``acct``, role ``reader`` (external id, 900 s sessions), the
    log level and, when given, the ``proxy`` stanza with an encrypted password."""
    role_arn = vendor.create_role(f"Reliability{time.time_ns() % 10**9}", EXTERNAL_ID)
    server = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY), role_arn, EXTERNAL_ID, loglevel, "900")
    server.role_arn = role_arn
    if proxy_port:
        server.add_stanza("ta_sqs_s3_audit_settings", "proxy",
                          fields={"proxy_enabled": "1", "proxy_type": "http", "proxy_url": "127.0.0.1",
                                  "proxy_port": str(proxy_port), "proxy_username": PROXY_USER},
                          encrypted={"proxy_password": PROXY_PASSWORD})
    server.start()
    return server


def params(moto, feed, **extra) -> Dict[str, str]:
    values = {"account": "acct", "iam_role": "reader", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto.endpoint, "sts_endpoint_url": moto.endpoint, "index": "main"}
    values.update({k: str(v) for k, v in extra.items()})
    return values


def start_input(python, splunkd, home, name, values) -> RunningInput:
    os.makedirs(home, exist_ok=True)
    return RunningInput(python, input_xml(splunkd.base_url, SESSION_KEY, os.path.join(home, "ckpt"), name, values),
                        str(home))


def upload_cloudtrail(vendor, feed, objects: int, per_object: int, seed: int = 0) -> List[str]:
    ids = []
    for i in range(objects):
        records = samples.cloudtrail_records(per_object, seed=seed + i)
        vendor.put_object(feed.bucket, samples.cloudtrail_key(seed + i), samples.cloudtrail_object(records))
        ids += [r["eventID"] for r in records]
    return ids


def event_ids(*streams: bytes) -> List[str]:
    return [json.loads(e["data"])["eventID"] for stream in streams for e in parse_events(stream)
            if e["sourcetype"] == "aws:cloudtrail"]


def log_text(home, name: str) -> str:
    path = os.path.join(str(home), "var", "log", "splunk", f"ta_sqs_s3_audit_{name}.log")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def log_lines(log: str, level: str, **fields) -> List[str]:
    """Lines at ``level`` carrying every ``field=value`` given."""
    return [line for line in log.splitlines() if f" {level} " in line
            and all(f"{k}={v}" in line for k, v in fields.items())]


def secret_forms(secret: str) -> List[str]:
    """A secret as it would leak: raw, URL-quoted (as in a proxy URL), base64 of user:secret."""
    forms = {secret, quote(secret, safe="")}
    forms.add(base64.b64encode(f"{PROXY_USER}:{secret}".encode()).decode())
    return sorted(forms)


def assert_no_secrets(texts: Dict[str, str], extra=()) -> None:
    secrets = [TEST_SECRET, EXTERNAL_ID, SESSION_KEY, PROXY_PASSWORD, MOTO_TOKEN_PREFIX, *extra]
    for where, text in texts.items():
        for secret in secrets:
            for form in secret_forms(secret):
                assert form not in text, f"a secret ({secret[:4]}...) appears in {where}"


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


# -- 1. faults ---------------------------------------------------------------------
# Bursts (slow: the SDK backs off for ~30 s before giving up) on Python 3.13 only.
FAULT_RUNS = [pytest.param(label, path == PY313, id=label) for label, path in sorted(PYTHONS.items())]


@pytest.mark.parametrize("python, bursts", FAULT_RUNS)
def test_faults_between_the_input_and_aws_lose_nothing_duplicate_nothing_and_are_logged_with_their_cause(
        python, bursts, moto_server, vendor, tmp_path):
    """Random faults on 15 % of the requests (seeded, bounded) and, on one Python, bursts
    longer than the SDK's six retries, which the input itself must handle and log."""
    feed = vendor.create_feed(f"faults-{python}-{os.getpid()}", f"faults-{python}-{os.getpid()}",
                              visibility_timeout=8, max_receives=50)
    expected = upload_cloudtrail(vendor, feed, 24, 300, seed=100)
    slow_key = samples.cloudtrail_key(105)
    with FaultProxy(rate=0.15, seed=11, max_faults=60, credentials=(PROXY_USER, PROXY_PASSWORD)) as proxy:
        proxy.burst("sts_500", 2)  # the first AssumeRole fails twice (query protocol: XML errors)
        if bursts:
            proxy.burst("s3_503", 7, slow_key)  # one object's GetObject answered SlowDown past the SDK's retries
        splunkd = start_splunkd(vendor, "DEBUG", proxy.port)
        try:
            run = start_input(PYTHONS[python], splunkd, tmp_path, "faults", params(moto_server, feed, max_workers=3))
            if bursts:  # once messages flow, ReceiveMessage fails past the SDK's retries too
                run.wait_for(lambda: run.event_count() > 0, 60)
                proxy.burst("sqs_500", 7, "AmazonSQS.ReceiveMessage")
            run.wait_for(lambda: run.event_count() >= len(expected) and vendor.depth(feed.queue_url) == 0, 240)
            time.sleep(1)
            assert run.proc.poll() is None, "the input died on a fault"
            assert run.terminate() < 10 and run.proc.returncode == 0
        finally:
            splunkd.stop()

    ids = event_ids(run.stdout)
    assert len(ids) == len(expected) and sorted(ids) == sorted(expected)  # every record exactly once

    # Every kind of fault happened, the random ones bounded; all AWS traffic went through the proxy.
    # DynamoDB is not on this input's path (local checkpoint): its throttling has its own
    # tests in test_fleet_checkpoint.py.
    http_faults = [kind for kind in FAULTS if kind != "ddb_throttle"]
    assert all(proxy.counts[kind] >= 1 for kind in http_faults), proxy.counts
    # At least ten faults: 24 objects take about a hundred calls now that a receive asks for every
    # free place and deletes go ten to a call, so 15% of them is about 15, give or take the timing.
    assert proxy.counts["sts_500"] >= 2 and proxy.faults >= 10
    assert proxy.faults <= 60 + 2 + len(http_faults) + (14 if bursts else 0)
    # SQS: queue attributes, receives of up to 10 and deletes of up to 10, retries and faults (about 20 calls)
    assert proxy.seen["sts"] >= 3 and proxy.seen["sqs"] > 10 and proxy.seen["s3"] >= 24 and not proxy.seen["other"]
    # The proxy credentials came from storage/passwords, URL-quoted correctly, on every request.
    assert proxy.refused_auth == 0 and set(proxy.auth) == {f"{PROXY_USER}:{PROXY_PASSWORD}"}

    # The role was assumed with the external id and 900 s sessions, and SQS and S3 used it.
    assert proxy.assume_role_bodies and all(
        body["RoleArn"] == splunkd.role_arn and body["ExternalId"] == EXTERNAL_ID and body["DurationSeconds"] == "900"
        for body in proxy.assume_role_bodies)
    issued = {(c["AccessKeyId"], c["SessionToken"]) for c in proxy.issued}
    assert issued and proxy.signed_with["sqs"] <= issued and proxy.signed_with["s3"] <= issued
    assert {key for key, _ in proxy.signed_with["sts"]} == {TEST_KEY_ID}

    # What outlasted the SDK's retries is in the log with its cause; then it recovered.
    log = log_text(tmp_path, "faults")
    if bursts:
        assert proxy.counts["sqs_500"] >= 7 and proxy.counts["s3_503"] >= 7
        assert log_lines(log, "ERROR", action="aws_error", call="sqs:ReceiveMessage", reason="InternalError")
        assert "action=recovered call=sqs:ReceiveMessage" in log
        assert log_lines(log, "WARNING", action="object_retry", bucket=feed.bucket, key=slow_key, reason="SlowDown")
    cut = log_lines(log, "WARNING", action="object_retry", bucket=feed.bucket, reason="read_interrupted")
    assert cut and all("IncompleteRead" in line for line in cut), cut
    assert "Traceback" not in log and "Traceback" not in run.stderr
    secrets = [c[name] for c in proxy.issued for name in ("SecretAccessKey", "SessionToken")]
    assert_no_secrets({"log": log, "stderr": run.stderr, "events": run.stdout.decode()}, secrets)


def test_a_proxy_that_refuses_the_credentials_is_logged_without_leaking_the_password(moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"proxy-refused-{os.getpid()}", f"proxy-refused-{os.getpid()}")
    with FaultProxy(rate=0.0, every_kind=False, credentials=(PROXY_USER, "another-password")) as proxy:
        splunkd = start_splunkd(vendor, "DEBUG", proxy.port)
        try:
            run = start_input(PY313, splunkd, tmp_path, "refused", params(moto_server, feed))
            log_path = tmp_path / "var/log/splunk/ta_sqs_s3_audit_refused.log"
            run.wait_for(lambda: log_path.exists() and " ERROR " in log_path.read_text(), 60)
            time.sleep(2)
            assert run.proc.poll() is None  # keeps retrying, as for any AWS error
            assert run.terminate() < 10 and run.proc.returncode == 0
        finally:
            splunkd.stop()
    assert proxy.refused_auth >= 1 and set(proxy.auth) == {f"{PROXY_USER}:{PROXY_PASSWORD}"}
    log = log_path.read_text()
    assert log_lines(log, "ERROR", action="aws_error", call="sts:AssumeRole"), log
    assert_no_secrets({"log": log, "stderr": run.stderr, "events": run.stdout.decode()})


# -- 2. scale-out ------------------------------------------------------------------
def test_three_forwarders_on_one_queue_write_every_record_exactly_once_and_slow_objects_are_taken_once(
        moto_server, vendor, tmp_path):
    """The queue's visibility timeout is 4 s; three objects take ~7 s each to read (the proxy
    trickles them), so only the input's visibility extension keeps other forwarders off them.
    Each forwarder has its own checkpoint: nothing but SQS stands between them."""
    feed = vendor.create_feed(f"scale-{os.getpid()}", f"scale-{os.getpid()}", visibility_timeout=4, max_receives=50)
    slow = []
    expected = []
    for i in range(3):
        records = samples.cloudtrail_records(400, seed=500 + i)
        body = samples.cloudtrail_object(records)
        slow.append((samples.cloudtrail_key(500 + i, prefix="slow"), len(body)))
        vendor.put_object(feed.bucket, slow[-1][0], body)
        expected += [r["eventID"] for r in records]
    expected += upload_cloudtrail(vendor, feed, 150, 40)
    with FaultProxy(rate=0.0, every_kind=False) as proxy:
        for key, size in slow:
            proxy.throttle(key, size / 7.0)
        splunkd = start_splunkd(vendor, proxy_port=proxy.port)
        runs = []
        try:
            # A Splunk 9 (Python 3.9) forwarder next to two Splunk 10 (Python 3.13) ones.
            for n, python in enumerate((PY39, PY313, PY313)):
                runs.append(start_input(python, splunkd, tmp_path / f"hf{n}", "scale",
                                        params(moto_server, feed, max_workers=1)))
            deadline = time.time() + 240
            while time.time() < deadline and not (sum(r.event_count() for r in runs) >= len(expected)
                                                 and vendor.depth(feed.queue_url) == 0):
                assert all(r.proc.poll() is None for r in runs)
                time.sleep(0.5)
            time.sleep(2)  # would a slow object's message come back to another forwarder, it would now
            for run in runs:
                assert run.terminate() < 10 and run.proc.returncode == 0
        finally:
            splunkd.stop()
    streams = [parse_events(r.stdout) for r in runs]
    ids = event_ids(*(r.stdout for r in runs))
    assert len(ids) == len(expected) and sorted(ids) == sorted(expected)
    assert all(streams), "every forwarder took a share"
    logs = [log_text(tmp_path / f"hf{n}", "scale") for n in range(3)]
    for key, _ in slow:
        takers = [n for n, stream in enumerate(streams) if any(e["source"].endswith(key) for e in stream)]
        assert len(takers) == 1, (key, takers)
        done = log_lines(logs[takers[0]], "INFO", action="object_done", key=key)
        assert len(done) == 1
        seconds = float(done[0].split("seconds=")[1].split()[0])
        assert seconds > 4 * 1.25, f"{key} took {seconds} s, not much longer than the visibility timeout"
    assert not any("visibility_extend_failed" in log for log in logs)
    assert not any(log_lines(log, "ERROR") for log in logs)


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


# -- 6. soak -----------------------------------------------------------------------
@pytest.mark.soak
def test_a_soak_of_three_thousand_objects_grows_neither_memory_nor_the_checkpoint(moto_server, vendor, tmp_path):
    objects, per_object = 3000, 5
    feed = vendor.create_feed(f"soak-{os.getpid()}", f"soak-{os.getpid()}", visibility_timeout=60)
    bodies = [samples.cloudtrail_records(per_object, seed=20000 + i) for i in range(objects)]
    expected = [r["eventID"] for records in bodies for r in records]
    splunkd = start_splunkd(vendor)
    rss: List[int] = []  # VmRSS, kB, once a second
    checkpoint_sizes: List[int] = []
    checkpoint = tmp_path / "ckpt" / "soak.ckpt.jsonl"
    uploaded = threading.Event()

    def feed_steadily():  # the vendor writes while the input reads, as in production
        try:
            for i, records in enumerate(bodies):
                vendor.put_object(feed.bucket, samples.cloudtrail_key(20000 + i), samples.cloudtrail_object(records))
        finally:
            uploaded.set()

    try:
        run = start_input(PY313, splunkd, tmp_path, "soak", params(moto_server, feed, max_workers=4))
        run.wait_for(lambda: os.path.exists(tmp_path / "var/log/splunk/ta_sqs_s3_audit_soak.log")
                     and "action=started" in log_text(tmp_path, "soak"), 30)
        feeder = threading.Thread(target=feed_steadily, daemon=True)
        feeder.start()
        deadline = time.time() + 240
        while time.time() < deadline and not (uploaded.is_set() and run.event_count() >= len(expected)
                                             and vendor.depth(feed.queue_url) == 0):
            assert run.proc.poll() is None, run.stderr[-2000:]
            rss.append(rss_kb(run.proc.pid))
            if checkpoint.exists():
                checkpoint_sizes.append(checkpoint.stat().st_size)
            time.sleep(1)
        feeder.join(5)
        assert run.terminate() < 10 and run.proc.returncode == 0
    finally:
        splunkd.stop()
    ids = event_ids(run.stdout)
    assert len(ids) == len(expected) and sorted(ids) == sorted(expected)

    # Memory: the peak of the last third of the run stays within 15 MB of the first third's.
    third = len(rss) // 3
    assert third >= 10, f"only {len(rss)} samples"
    first, last = max(rss[:third]) / 1024, max(rss[-third:]) / 1024
    assert last - first <= 15, f"RSS grew from {first:.1f} MB to {last:.1f} MB"

    # The checkpoint stays small all along (under 2 MB) ...
    path = checkpoint
    checkpoint_sizes.append(path.stat().st_size)
    assert max(checkpoint_sizes) < 2 << 20, f"checkpoint reached {max(checkpoint_sizes)} bytes"
    # ... because the journal holds small lines, compacted past twice the remembered entries.
    # Each CloudTrail log file is remembered twice (cloudtrail_digests = validate, the default):
    # the object, finished with its content hash, and that hash by bucket and key for digests.
    lines = path.read_text().splitlines()
    entries = {json.loads(line)["o"]: json.loads(line) for line in lines}
    assert len(entries) == 2 * objects and all(entry.get("d") == 1 for entry in entries.values())
    assert sum(1 for entry in entries.values() if len(entry.get("m", {}).get("sha256", "")) == 64) == 2 * objects
    writes = 2 * objects  # a finish (no position line before it: one batch) and the hash by key per object
    assert len(lines) <= writes and len(lines) <= max(1000, 2 * len(entries))
    assert path.stat().st_size <= 160 * len(lines)  # every line a finished entry with its sha256 (~150 bytes)
    assert_no_secrets({"log": log_text(tmp_path, "soak"), "stderr": run.stderr})
