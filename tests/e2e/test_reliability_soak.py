"""Reliability through the BUILT input, soak (marker ``soak``): three thousand objects uploaded
while the input reads grow neither its memory nor its checkpoint, and every record is written
exactly once.

Runs output/TA_sqs_s3_audit/bin/sqs_s3_audit.py as splunkd does (XML on stdin, events on
stdout) against moto server and the splunkd stand-in (helpers: tests/reliability_harness.py).
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import List

import pytest

import sample_logs as samples
from modinput_runner import SCRIPT
from reliability_harness import PY313, assert_no_secrets, event_ids, log_text, params, rss_kb, start_input, start_splunkd

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")


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
