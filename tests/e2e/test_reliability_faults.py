"""Reliability through the BUILT input, faults: random faults between the input and AWS (and,
on one Python, bursts longer than the SDK's retries) lose nothing, duplicate nothing, go
through the proxy with its stored credentials and are logged with their cause; a proxy that
refuses the credentials is logged without leaking the password.

Each test runs output/TA_sqs_s3_audit/bin/sqs_s3_audit.py as splunkd does (XML on stdin,
events on stdout) against moto server and the splunkd stand-in, through tests/fault_proxy.py,
and compares the eventIDs written with those uploaded (helpers: tests/reliability_harness.py).
"""

from __future__ import annotations

import os
import time

import pytest

import sample_logs as samples
from aws_emulator import TEST_KEY_ID
from fault_proxy import FAULTS, FaultProxy
from modinput_runner import SCRIPT
from reliability_harness import (EXTERNAL_ID, PROXY_PASSWORD, PROXY_USER, PY313, PYTHONS, assert_no_secrets,
                                 event_ids, log_lines, log_text, params, start_input, start_splunkd,
                                 upload_cloudtrail)

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")


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
