"""The built input, run as splunkd runs it under Python 3.9 and 3.13, on a CrowdStrike Falcon
Data Replicator queue: messages listing several gzipped files (Elastic's published FDR test
data, tests/fixtures/samples/README-crowdstrike-fdr.md), a redelivered message, a listed file
that is missing, one whose checksum and one whose size differs. Every record once, with the sourcetype of the
Splunk Add-on for CrowdStrike FDR; the bad messages named at ERROR and left on the queue."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import time

import pytest

from harness import seed_splunkd
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build` (make test does)")

SESSION_KEY = "e2e-session-key-fdr"
PYTHONS = pythons()
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples",
                       "crowdstrike_fdr")
PREFIX = "data/f0714ca5-3689-448d-b5cc-582a6f7a56b1"


def raw(name: str) -> bytes:
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


def records(name: str):
    return [json.loads(line) for line in raw(name).decode("utf-8").splitlines() if line.strip()]


def fdr_message(bucket: str, files: dict, checksums: dict = None, sizes: dict = None) -> str:
    checksums, sizes = checksums or {}, sizes or {}
    listed = [{"path": k, "size": sizes.get(k, len(b)), "checksum": checksums.get(k, hashlib.md5(b).hexdigest())}
              for k, b in files.items()]
    return json.dumps({"cid": "ffffffff15754bcfb5f9152ec7ac90ac", "timestamp": 1625677488615,
                       "fileCount": len(listed), "totalSize": sum(len(b) for b in files.values()),
                       "bucket": bucket, "pathPrefix": PREFIX, "files": listed})


@pytest.fixture
def splunkd():
    standin = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY), loglevel="DEBUG")
    standin.start()
    yield standin
    standin.stop()


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_built_input_reads_an_fdr_queue_once_and_names_missing_and_mismatching_files(python, moto_server, vendor,
                                                                                    splunkd, tmp_path):
    name = f"fdr-{python}-{os.getpid()}-{int(time.time()) % 10000}"
    feed = vendor.create_feed(name, name, notify=False)
    batch = {f"{PREFIX}/part-00000.gz": (gzip.compress(raw("data_sensor.jsonl")), "crowdstrike:events:sensor",
                                          records("data_sensor.jsonl")),
             "fdrv2/aidmaster/2021-07-07/part-00000.gz": (gzip.compress(raw("aidmaster.jsonl")),
                                                          "crowdstrike:inventory:aidmaster", records("aidmaster.jsonl")),
             "fdrv2/userinfo/2021-07-07/part-00000.gz": (gzip.compress(raw("userinfo.jsonl")),
                                                         "crowdstrike:inventory:userinfo", records("userinfo.jsonl"))}
    notmanaged = ("fdrv2/notmanaged/2021-07-07/part-00000.gz", gzip.compress(raw("notmanaged.jsonl")))
    missing = "fdrv2/managedassets/2021-07-07/part-00000.gz"
    tampered = (f"{PREFIX}/part-00001.gz", gzip.compress(raw("data_sensor.jsonl")[:300].rsplit(b"\n", 1)[0] + b"\n"))
    cut = ("fdrv2/appinfo/2021-07-07/part-00000.gz", gzip.compress(raw("userinfo.jsonl")))  # size says more
    for key, (body, _, _) in batch.items():
        vendor.put_object(feed.bucket, key, body)
    vendor.put_object(feed.bucket, *notmanaged)
    vendor.put_object(feed.bucket, *tampered)
    vendor.put_object(feed.bucket, *cut)
    good = fdr_message(feed.bucket, {k: b for k, (b, _, _) in batch.items()})
    vendor.send(feed.queue_url, good)
    vendor.send(feed.queue_url, fdr_message(feed.bucket, {notmanaged[0]: notmanaged[1], missing: b"x" * 10}))
    vendor.send(feed.queue_url, fdr_message(feed.bucket, {tampered[0]: tampered[1]}, {tampered[0]: "0" * 32}))
    vendor.send(feed.queue_url, fdr_message(feed.bucket, {cut[0]: cut[1]}, sizes={cut[0]: len(cut[1]) + 1000}))
    expected = sum(len(r) for _, _, r in batch.values()) + len(records("notmanaged.jsonl"))
    log_path = str(tmp_path / f"var/log/splunk/ta_sqs_s3_audit_{name}.log")

    def log() -> str:
        return open(log_path, encoding="utf-8").read() if os.path.exists(log_path) else ""

    values = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
              "index": "edr", "interval": "60", "max_workers": "2"}
    proc = RunningInput(PYTHONS[python], input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), name,
                                                   values), str(tmp_path))
    proc.wait_for(lambda: proc.event_count() >= expected and "fdr_checksum_mismatch" in log()
                  and "fdr_size_mismatch" in log() and f"key={missing}" in log(), 90)
    vendor.send(feed.queue_url, good)  # the first message again: a lost delete
    proc.wait_for(lambda: log().count("action=object_already_done") >= len(batch), 60)
    time.sleep(1)
    assert vendor.depth(feed.queue_url) == 3  # the missing-file, checksum and size messages are left
    assert proc.terminate(10) < 10 and proc.proc.returncode == 0, proc.stderr
    events = parse_events(proc.stdout)
    assert len(events) == expected
    by_source = {}
    for event in events:
        by_source.setdefault(event["source"], []).append(event)
    for key, (_, sourcetype, want) in batch.items():
        got = by_source[f"s3://{feed.bucket}/{key}"]
        assert {e["sourcetype"] for e in got} == {sourcetype} and {e["index"] for e in got} == {"edr"}
        assert [json.loads(e["data"]) for e in got] == want
    sensor = by_source[f"s3://{feed.bucket}/{PREFIX}/part-00000.gz"]
    assert [e["time"] for e in sensor][:2] == ["1625677502.5", "1625677504.982"]
    assert {e["sourcetype"] for e in by_source[f"s3://{feed.bucket}/{notmanaged[0]}"]} == {
        "crowdstrike:inventory:notmanaged"}
    assert f"s3://{feed.bucket}/{tampered[0]}" not in by_source and f"s3://{feed.bucket}/{cut[0]}" not in by_source
    errors = [line for line in log().splitlines() if " ERROR " in line or "level=ERROR" in line]
    assert any("NoSuchKey" in line and f"key={missing}" in line for line in errors), errors
    assert any("fdr_checksum_mismatch" in line and f"key={tampered[0]}" in line for line in errors), errors
    assert any("fdr_size_mismatch" in line and f"key={cut[0]}" in line for line in errors), errors


@pytest.mark.parametrize("python", sorted(PYTHONS)[:1])
def test_sigkill_mid_fdr_message_then_restart_the_finished_file_is_not_written_again_the_half_read_one_resumes(
        python, moto_server, vendor, splunkd, tmp_path):
    import fdr_samples

    name = f"fdrkill-{os.getpid()}-{int(time.time()) % 10000}"
    feed = vendor.create_feed(name, name, notify=False, visibility_timeout=3)
    per_file = 20000
    files = {f"{PREFIX}/part-{i:05d}.gz": fdr_samples.sensor_records(per_file, seed=i) for i in range(2)}
    fdr_samples.publish(vendor, feed.bucket, feed.queue_url,
                        {k: fdr_samples.jsonl_gz(recs) for k, recs in files.items()}, PREFIX)
    values = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
              "index": "edr", "interval": "60", "max_workers": "1"}
    xml = input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), name, values)
    first = RunningInput(PYTHONS[python], xml, str(tmp_path))
    first.wait_for(lambda: first.event_count() >= per_file + 5000, 90)  # into the second file
    first.kill()
    written_first = parse_events(first.stdout, closed=False)
    assert per_file < len(written_first) < 2 * per_file
    second = RunningInput(PYTHONS[python], xml, str(tmp_path))
    second.wait_for(lambda: vendor.depth(feed.queue_url) == 0, 90)
    assert second.terminate(10) < 10
    written = written_first + parse_events(second.stdout)
    ids = {}
    for event in written:
        ids.setdefault(event["source"], []).append(json.loads(event["data"])["id"])
    first_key, second_key = list(files)
    assert sorted(ids[f"s3://{feed.bucket}/{first_key}"]) == sorted(r["id"] for r in files[first_key])  # once
    again = ids[f"s3://{feed.bucket}/{second_key}"]
    assert set(again) == {r["id"] for r in files[second_key]}  # nothing lost
    assert len(again) - per_file <= 1000  # at most one checkpoint window written twice
    assert "resumed_at=" in open(tmp_path / f"var/log/splunk/ta_sqs_s3_audit_{name}.log", encoding="utf-8").read()
