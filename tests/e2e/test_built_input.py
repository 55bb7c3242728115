"""The built add-on's input, run as splunkd runs it, under Splunk's Python 3.9 and 3.13.

splunkd is replaced by scripts/splunkd_standin/ (Atom XML config and storage/passwords);
AWS by moto server. The input assumes a role with an external id, reads its secrets
the UCC way, writes the XML stream, and stops on SIGTERM.
"""

from __future__ import annotations

import glob
import json
import os
import time

import pytest

import sample_logs as samples
from aws_emulator import TEST_SECRET
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons, validation_xml
from harness import seed_splunkd
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build` (make test does)")

SESSION_KEY = "e2e-session-key-7f3a9c"
EXTERNAL_ID = "thrive-external-id-5521"
PYTHONS = pythons()


@pytest.fixture
def splunkd(vendor):
    role_arn = vendor.create_role(f"AuditReader{int(time.time() * 1000) % 10**8}", EXTERNAL_ID)
    standin = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY), role_arn, EXTERNAL_ID, "DEBUG", "900")
    standin.start()
    yield standin
    standin.stop()


def params(moto_server, feed, **extra):
    values = {"account": "acct", "iam_role": "reader", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
              "index": "aws_audit", "interval": "60", "max_workers": "2"}
    values.update(extra)
    return values


def scan_for_secrets(*texts: str) -> None:
    for text in texts:
        for secret in (TEST_SECRET, EXTERNAL_ID, SESSION_KEY, "FQoGZXIvYXdzE"):
            assert secret not in text, f"secret {secret[:4]}... leaked"


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_built_input_ingests_cloudtrail_and_stops_cleanly_on_sigterm(python, moto_server, vendor, splunkd, tmp_path):
    feed = vendor.create_feed(f"ct-e2e-{python}-{os.getpid()}", f"ct-e2e-{python}-{os.getpid()}")
    expected = {}
    for i in range(3):
        records = samples.cloudtrail_records(400, seed=i)
        key = samples.cloudtrail_key(i)
        vendor.put_object(feed.bucket, key, samples.cloudtrail_object(records))
        expected[f"s3://{feed.bucket}/{key}"] = records
    proc = RunningInput(PYTHONS[python], input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "ct",
                                                   params(moto_server, feed)), str(tmp_path))
    proc.wait_for(lambda: proc.event_count() >= 1200 and vendor.depth(feed.queue_url) == 0, 60)
    took = proc.terminate(10)
    assert proc.proc.returncode == 0, proc.stderr
    assert took < 10
    events = parse_events(proc.stdout)  # the stream is closed: it parses as a whole
    assert len(events) == 1200
    for event in events:
        assert event["stanza"] == "sqs_s3_audit://ct"
        assert event["index"] == "aws_audit" and event["sourcetype"] == "aws:cloudtrail"
    got = {}
    for event in events:
        got.setdefault(event["source"], []).append(event)
    for source, records in expected.items():
        assert [json.loads(e["data"]) for e in got[source]] == records
        assert [e["time"] for e in got[source]] == [samples.epoch_of(r["eventTime"]) for r in records]
    log_files = glob.glob(str(tmp_path / "var/log/splunk/ta_sqs_s3_audit_ct.log"))
    assert log_files
    log = open(log_files[0], encoding="utf-8").read()
    assert "action=object_done" in log and "action=stopped" in log and "action=test_event" in log
    scan_for_secrets(log, proc.stderr, proc.stdout.decode())
    # solnlib reached splunkd through the requests shipped in lib/, as inside splunkd
    agents = {r["user_agent"].split(" ")[0] for r in splunkd.request_log}
    assert agents == {"solnlib/8.2.0"}, agents


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_scheme_lists_every_contract_parameter(python):
    import subprocess
    import xml.etree.ElementTree as ET

    out = subprocess.run([PYTHONS[python], SCRIPT, "--scheme"], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    root = ET.fromstring(out.stdout)
    names = {arg.get("name") for arg in root.iter("arg")}
    assert {"account", "iam_role", "sqs_queue_url", "aws_region", "log_type", "key_include_regex",
            "key_exclude_regex", "allowed_buckets", "sqs_batch_size", "sqs_endpoint_url", "s3_endpoint_url",
            "sts_endpoint_url",
            "cloudtrail_digests", "cloudtrail_digest_grace",
            "checkpoint_store", "checkpoint_table", "dynamodb_endpoint_url"} <= names
    assert root.findtext("streaming_mode") == "xml" and root.findtext("use_external_validation") == "true"


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
@pytest.mark.parametrize("change, parameter", [
    ({"sqs_queue_url": "https://sqs.us-east-1.amazonaws.com/not-an-account/q"}, "sqs_queue_url"),
    ({"key_include_regex": "([unclosed"}, "key_include_regex"),
    ({"account": "nobody-knows"}, "account"),
    ({"iam_role": "missing-role"}, "iam_role"),
    ({"sqs_batch_size": "50"}, "sqs_batch_size"),
    ({"s3_endpoint_url": "http://s3.example.com"}, "s3_endpoint_url"),  # issue 19: plain http off loopback
    ({"sts_endpoint_url": "http://10.0.0.5:8080"}, "sts_endpoint_url"),
])
def test_validation_refuses_bad_parameters_naming_them(python, change, parameter, moto_server, vendor, splunkd):
    import subprocess

    feed = vendor.create_feed(f"val-{python}-{parameter}".replace("_", "-"), f"val-{python}-{parameter}", notify=False)
    values = params(moto_server, feed, **change)
    out = subprocess.run([PYTHONS[python], SCRIPT, "--validate-arguments"], capture_output=True, timeout=60,
                         input=validation_xml(splunkd.base_url, SESSION_KEY, "in1", values).encode())
    assert out.returncode == 1
    assert b"<error><message>" in out.stdout and parameter.encode() in out.stdout
    ok = subprocess.run([PYTHONS[python], SCRIPT, "--validate-arguments"], capture_output=True, timeout=60,
                        input=validation_xml(splunkd.base_url, SESSION_KEY, "in1", params(moto_server, feed)).encode())
    assert ok.returncode == 0, ok.stdout


def checkpoint_positions(journal) -> list:
    """The in-object positions the local journal recorded, in order (one object in flight)."""
    found = []
    for line in open(journal, encoding="utf-8"):
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by the kill
        if "n" in entry:
            found.append(int(entry["n"]))
    return found


def big_object(vendor, feed, count: int):
    records = samples.cloudtrail_records(count, seed=42)
    key = samples.cloudtrail_key(99)
    vendor.put_object(feed.bucket, key, samples.cloudtrail_object(records))
    return key, records


@pytest.mark.parametrize("python", sorted(PYTHONS)[-1:])
def test_sigkill_mid_object_then_restart_writes_every_record_with_at_most_one_window_again(
        python, moto_server, vendor, splunkd, tmp_path):
    feed = vendor.create_feed(f"kill-{os.getpid()}", f"kill-{os.getpid()}", visibility_timeout=3)
    key, records = big_object(vendor, feed, 30000)
    xml = input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "k", params(moto_server, feed, max_workers="1"))
    first = RunningInput(PYTHONS[python], xml, str(tmp_path))
    first.wait_for(lambda: first.event_count() >= 8000, 60)
    first.kill()
    written_first = parse_events(first.stdout, closed=False)
    assert 0 < len(written_first) < 30000
    # The promise is about the window, not about where this kill happened to land: every
    # checkpoint advance the killed input made covers at most 1,000 records, and at most
    # 1,000 of the records it wrote were not yet covered by its last stored position.
    positions = checkpoint_positions(tmp_path / "ckpt" / "k.ckpt.jsonl")
    assert positions and positions[0] <= 1000
    assert max(b - a for a, b in zip([0] + positions, positions)) <= 1000
    assert len(written_first) - positions[-1] <= 1000
    second = RunningInput(PYTHONS[python], xml, str(tmp_path))
    second.wait_for(lambda: vendor.depth(feed.queue_url) == 0, 90)
    second.terminate()
    written_second = parse_events(second.stdout)
    ids = [json.loads(e["data"])["eventID"] for e in written_first + written_second]
    expected = [r["eventID"] for r in records]
    assert set(ids) == set(expected)  # nothing lost
    assert len(ids) - len(expected) <= 1000  # at most one checkpoint window written again
    assert "resumed_at=" in open(tmp_path / "var/log/splunk/ta_sqs_s3_audit_k.log", encoding="utf-8").read()


@pytest.mark.parametrize("python", sorted(PYTHONS)[:1])
def test_sigterm_mid_object_exits_quickly_and_the_restart_completes_exactly_once(
        python, moto_server, vendor, splunkd, tmp_path):
    feed = vendor.create_feed(f"term-{os.getpid()}", f"term-{os.getpid()}", visibility_timeout=30)
    key, records = big_object(vendor, feed, 30000)
    xml = input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "t", params(moto_server, feed, max_workers="1"))
    first = RunningInput(PYTHONS[python], xml, str(tmp_path))
    first.wait_for(lambda: first.event_count() >= 5000, 60)
    assert first.terminate(10) < 10 and first.proc.returncode == 0
    written_first = parse_events(first.stdout)  # closed stream
    assert len(written_first) < 30000
    second = RunningInput(PYTHONS[python], xml, str(tmp_path))
    second.wait_for(lambda: vendor.depth(feed.queue_url) == 0, 90)
    second.terminate()
    ids = [json.loads(e["data"])["eventID"] for e in written_first + parse_events(second.stdout)]
    assert sorted(ids) == sorted(r["eventID"] for r in records)  # exactly once: the message was returned at once


@pytest.mark.parametrize("python", sorted(PYTHONS)[:1])
def test_a_missing_queue_is_logged_once_with_the_fix_and_the_input_recovers_when_it_appears(
        python, moto_server, vendor, splunkd, tmp_path):
    name = f"late-queue-{os.getpid()}"
    queue_url = f"{moto_server.endpoint}/123456789012/{name}"
    xml = input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "late",
                    {"account": "acct", "sqs_queue_url": queue_url, "aws_region": "us-east-1",
                     "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint})
    proc = RunningInput(PYTHONS[python], xml, str(tmp_path))
    log_path = tmp_path / "var/log/splunk/ta_sqs_s3_audit_late.log"
    proc.wait_for(lambda: log_path.exists() and "NonExistentQueue" in log_path.read_text(), 30)
    time.sleep(4)  # several failed polls, backing off
    log = log_path.read_text()
    errors = [line for line in log.splitlines() if " ERROR " in line and "NonExistentQueue" in line]
    assert len(errors) == 1, errors  # once per cause, not once per poll
    assert "check sqs_queue_url and aws_region" in errors[0]
    assert proc.proc.poll() is None  # still running, not dying or spinning
    feed = vendor.create_feed(name, name)
    records = samples.cloudtrail_records(50, seed=7)
    vendor.put_object(feed.bucket, samples.cloudtrail_key(3), samples.cloudtrail_object(records))
    proc.wait_for(lambda: proc.event_count() >= 50, 90)
    assert proc.terminate() < 10 and proc.proc.returncode == 0
    assert len(parse_events(proc.stdout)) == 50
    assert "action=recovered" in log_path.read_text()


@pytest.mark.parametrize("python", sorted(PYTHONS)[:1])
def test_the_standard_aws_endpoint_url_variable_is_honoured(python, moto_server, vendor, splunkd, tmp_path):
    feed = vendor.create_feed(f"env-endpoint-{os.getpid()}", f"env-endpoint-{os.getpid()}")
    records = samples.cloudtrail_records(30, seed=31)
    vendor.put_object(feed.bucket, samples.cloudtrail_key(4), samples.cloudtrail_object(records))
    aws_style_url = f"https://sqs.us-east-1.amazonaws.com/123456789012/env-endpoint-{os.getpid()}"
    xml = input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "env",
                    {"account": "acct", "iam_role": "reader", "sqs_queue_url": aws_style_url})
    proc = RunningInput(PYTHONS[python], xml, str(tmp_path), extra_env={"AWS_ENDPOINT_URL": moto_server.endpoint})
    proc.wait_for(lambda: proc.event_count() >= 30 and vendor.depth(feed.queue_url) == 0, 60)
    assert proc.terminate() < 10 and proc.proc.returncode == 0
    assert [json.loads(e["data"]) for e in parse_events(proc.stdout)] == records
