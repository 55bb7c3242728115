"""Reliability through the BUILT input, scale-out: three forwarders (Python 3.9 and 3.13) on one
queue, each with its own checkpoint, write every record exactly once, and objects slower to
read than the visibility timeout are taken by one forwarder only.

Each forwarder runs output/TA_sqs_s3_audit/bin/sqs_s3_audit.py as splunkd does (XML on stdin,
events on stdout) against moto server and the splunkd stand-in; the eventIDs written are
compared with those uploaded (helpers: tests/reliability_harness.py).
"""

from __future__ import annotations

import os
import time

import pytest

import sample_logs as samples
from fault_proxy import FaultProxy
from modinput_runner import SCRIPT, parse_events
from reliability_harness import (PY39, PY313, event_ids, log_lines, log_text, params, start_input, start_splunkd,
                                 upload_cloudtrail)

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")


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
