"""The built doctor command, run as an admin would, against the splunkd stand-in and moto."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

import sample_logs as samples
from aws_emulator import TEST_SECRET
from modinput_runner import APP, pythons
from harness import seed_splunkd
from splunkd_standin import SplunkdStandIn

DOCTOR = os.path.join(APP, "bin", "sqs_s3_audit_doctor.py")
pytestmark = pytest.mark.skipif(not os.path.exists(DOCTOR), reason="built app missing: run `make build`")
PYTHONS = pythons()
KEY = "doctor-session-key"


def run_doctor(python, standin, name, via_stdin=False):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "SPLUNK_SESSION"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if not via_stdin:
        env["SPLUNK_SESSION_KEY"] = KEY
    return subprocess.run([python, DOCTOR, "--input", name, "--splunkd-uri", standin.base_url], env=env,
                          input=(KEY + "\n").encode() if via_stdin else b"", capture_output=True, timeout=120)


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_doctor_reports_each_check_and_exits_by_the_worst_result(python, moto_server, vendor):
    suffix = f"{python}-{time.time_ns() % 10**8}"
    feed = vendor.create_feed(f"doctor-{suffix}", f"doctor-{suffix}", with_dlq=False, visibility_timeout=300)
    vendor.drain(feed.queue_url)
    vendor.put_object(feed.bucket, samples.cloudtrail_key(2), samples.cloudtrail_object(samples.cloudtrail_records(5)))
    role_arn = vendor.create_role(f"Doctor{time.time_ns() % 10**8}", "doctor-external-id")
    with SplunkdStandIn(session_key=KEY) as standin:
        seed_splunkd(standin, role_arn, "doctor-external-id")
        common = {"account": "acct", "iam_role": "reader", "aws_region": "us-east-1",
                  "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint}
        standin.add_stanza("inputs", "sqs_s3_audit://good", fields=dict(common, sqs_queue_url=feed.queue_url))
        standin.add_stanza("inputs", "sqs_s3_audit://broken",
                           fields=dict(common, sqs_queue_url=f"{moto_server.endpoint}/123456789012/no-such-queue"))
        good = run_doctor(PYTHONS[python], standin, "good", via_stdin=True)
        broken = run_doctor(PYTHONS[python], standin, "broken")
        missing = run_doctor(PYTHONS[python], standin, "not-configured")
    lines = good.stdout.decode().splitlines()
    assert good.returncode == 0, good.stdout + good.stderr
    assert [line.split()[0] for line in lines] == ["PASS", "PASS", "PASS", "PASS", "WARN", "PASS", "PASS"]
    assert "redrive policy" in lines[4]
    assert broken.returncode == 1 and b"FAIL queue:" in broken.stdout
    assert missing.returncode == 1 and b"FAIL configuration:" in missing.stdout and b"not-configured" in missing.stdout
    for out in (good, broken, missing):
        text = (out.stdout + out.stderr).decode()
        for secret in (TEST_SECRET, "doctor-external-id", KEY, "FQoGZXIvYXdzE"):
            assert secret not in text
