"""SIGTERM while splunkd is not reading the input's stdout (indexing queues full), BUILT input.

The stand-in's reader of the input's stdout pauses: the pipe fills and a batch write blocks
with the event stream's lock held. A SIGTERM must still end the input within 10 s, and the
blocked batch, never fully written, must not be checkpointed: the next run writes it again,
so nothing is lost and at most that one batch (the checkpoint window) appears twice.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter

import pytest

import sample_logs as samples
from harness import seed_splunkd
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")

PYTHONS = pythons()
SESSION_KEY = "backpressure-session-key-0c41"
WINDOW = 1000  # BATCH_RECORDS, the checkpoint window


def ids_in(stream: bytes):
    return [json.loads(e["data"])["eventID"] for e in parse_events(stream, closed=False)
            if e.get("sourcetype") == "aws:cloudtrail"]


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_sigterm_while_stdout_is_not_read_ends_the_input_within_10_s_and_the_next_run_resumes_without_loss(
        python, moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"bp-{python}-{os.getpid()}", f"bp-{python}-{os.getpid()}", visibility_timeout=6,
                              max_receives=20)
    vendor.drain(feed.queue_url)
    records = samples.cloudtrail_records(20000, seed=77)
    vendor.put_object(feed.bucket, samples.cloudtrail_key(77), samples.cloudtrail_object(records))
    splunkd = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY))
    splunkd.start()
    values = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint, "index": "main",
              "max_workers": "1"}
    xml = input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "bp", values)
    try:
        first = RunningInput(PYTHONS[python], xml, str(tmp_path))
        first.wait_for(lambda: first.event_count() >= 3000, 120)
        first.reading.clear()  # splunkd stops reading
        size = len(first.stdout)
        time.sleep(3)  # the pipe (64 KiB) fills within a batch; the writer blocks
        assert len(first.stdout) - size < 2 << 20 and first.proc.poll() is None
        took = first.terminate(10)  # raises when the input is not gone within 10 s
        assert took < 10 and first.proc.returncode == 0, first.stderr[-2000:]
        written = ids_in(first.stdout)
        assert 0 < len(written) < len(records)
        log = open(tmp_path / "var/log/splunk/ta_sqs_s3_audit_bp.log", encoding="utf-8").read()
        assert "action=stdout_blocked" in log

        second = RunningInput(PYTHONS[python], xml, str(tmp_path))  # the message comes back after 6 s
        second.wait_for(lambda: second.event_count() > 0 and vendor.depth(feed.queue_url) == 0, 120)
        second.terminate(10)
        again = ids_in(second.stdout)
    finally:
        splunkd.stop()
    counts = Counter(written + again)
    expected = [r["eventID"] for r in records]
    assert set(counts) == set(expected)  # nothing lost
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= WINDOW, duplicates  # only the batch that was blocked, never checkpointed
    assert again[0] in written or len(written) % WINDOW == 0  # resumed at the last stored window
    assert len(again) < len(records)  # resumed, not started over
