"""The doctor command, run as an admin would, against the splunkd stand-in and moto server.

The script is ``package/bin/sqs_s3_audit_doctor.py`` (the code under test) run by Splunk's
own interpreters (python3.9 and python3.13) with the built app's ``lib`` on the path and
nothing else: it needs ``make build`` first and is skipped without it. The session's moto server
(conftest) serves it; for the rejected-keys case moto's authentication is switched on
(``/moto-api/reset-auth``), as moto otherwise accepts any key. moto does not evaluate
trust policies or external ids, so those failures are covered only by the message texts
in tests/integration/test_checks.py.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

import sample_logs as samples
import boto3

from aws_emulator import TEST_KEY_ID, TEST_SECRET
from harness import seed_splunkd
from modinput_runner import APP, pythons
from splunkd_standin import SplunkdStandIn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCTOR = os.path.join(ROOT, "package", "bin", "sqs_s3_audit_doctor.py")
BUILT_LIB = os.path.join(APP, "lib")
PYTHONS = pythons()
KEY = "doctor-session-key"
EXTERNAL_ID = "doctor-external-id"
REJECTED_SECRET = "rejected-secret-not-to-print"

pytestmark = [
    pytest.mark.skipif(not os.path.isdir(BUILT_LIB), reason="built app missing: run `make build` (its lib/ is needed)"),
    pytest.mark.skipif(not PYTHONS, reason="neither python3.9 nor python3.13 found (set PY39/PY313)"),
]


@pytest.fixture(scope="module")
def cloudtrail():
    """The ListPublicKeys stand-in (CloudTrail digest signatures), reached via AWS_ENDPOINT_URL_CLOUDTRAIL."""
    from cloudtrail_standin import CloudTrailStandin

    server = CloudTrailStandin().start()
    server.key("us-east-1")
    CLOUDTRAIL_ENDPOINT.append(server.endpoint)
    yield server
    CLOUDTRAIL_ENDPOINT.clear()
    server.stop()


CLOUDTRAIL_ENDPOINT: list = []


def run_doctor(python, standin, name, key=KEY, via_stdin=False):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "SPLUNK_SESSION"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=BUILT_LIB, AWS_EC2_METADATA_DISABLED="true")
    if CLOUDTRAIL_ENDPOINT:
        env["AWS_ENDPOINT_URL_CLOUDTRAIL"] = CLOUDTRAIL_ENDPOINT[0]
    if key and not via_stdin:
        env["SPLUNK_SESSION_KEY"] = key
    stdin = (key + "\n").encode() if via_stdin else b""
    done = subprocess.run([python, DOCTOR, "--input", name, "--splunkd-uri", standin.base_url], env=env,
                          input=stdin, capture_output=True, timeout=180)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def statuses(stdout):
    return [line.split()[0] for line in stdout.splitlines()]


@pytest.fixture(scope="module")
def configured(moto_server, cloudtrail):  # noqa: ARG001 - cloudtrail: up first, so run_doctor finds CLOUDTRAIL_ENDPOINT set
    """The stand-in with inputs ``good`` (a waiting CloudTrail object, no DLQ), ``broken`` (no such
    queue) and ``rejected`` (keys moto refuses once its authentication is on)."""
    from aws_emulator import VendorSide

    vendor = VendorSide(moto_server.endpoint)
    suffix = str(time.time_ns() % 10**8)
    feed = vendor.create_feed(f"doctor-{suffix}", f"doctor-{suffix}", with_dlq=False, visibility_timeout=300)
    vendor.drain(feed.queue_url)
    vendor.put_object(feed.bucket, samples.cloudtrail_key(2), samples.cloudtrail_object(samples.cloudtrail_records(5)))
    role_arn = vendor.create_role(f"Doctor{suffix}", EXTERNAL_ID)
    with SplunkdStandIn(session_key=KEY) as standin:
        seed_splunkd(standin, role_arn, EXTERNAL_ID)
        standin.add_stanza("ta_sqs_s3_audit_account", "rejected", fields={"aws_access_key_id": "AKIAREJECTEDKEY00000"},
                           encrypted={"aws_secret_access_key": REJECTED_SECRET})
        common = {"account": "acct", "iam_role": "reader", "aws_region": "us-east-1",
                  "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint}
        standin.add_stanza("inputs", "sqs_s3_audit://good", fields=dict(common, sqs_queue_url=feed.queue_url))
        standin.add_stanza("inputs", "sqs_s3_audit://broken",
                           fields=dict(common, sqs_queue_url=f"{moto_server.endpoint}/123456789012/no-such-queue"))
        standin.add_stanza("inputs", "sqs_s3_audit://rejected",
                           fields=dict(common, account="rejected", iam_role="", sqs_queue_url=feed.queue_url))
        # issue 22: a rule list with a bad line, and a bucket role beside the queue role
        standin.add_stanza("inputs", "sqs_s3_audit://badrule", fields=dict(
            common, sqs_queue_url=feed.queue_url, log_type_rules="^exports/ => csv\n^x/ => nope"))
        standin.add_stanza("inputs", "sqs_s3_audit://tworoles", fields=dict(
            common, sqs_queue_url=feed.queue_url, bucket_iam_role="reader"))
        table = f"doctor-ckpt-{suffix}"
        ddb = boto3.client("dynamodb", endpoint_url=moto_server.endpoint, region_name="us-east-1",
                           aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET)
        ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True,
                                                                           "AttributeName": "expires_at"})
        shared = dict(common, sqs_queue_url=feed.queue_url, checkpoint_store="dynamodb",
                      dynamodb_endpoint_url=moto_server.endpoint)
        standin.add_stanza("inputs", "sqs_s3_audit://shared", fields=dict(shared, checkpoint_table=table))
        standin.add_stanza("inputs", "sqs_s3_audit://shared_missing",
                           fields=dict(shared, checkpoint_table=f"no-such-table-{suffix}"))
        yield standin, vendor, feed


def assert_no_secret(*texts):
    for text in texts:
        for secret in (TEST_SECRET, EXTERNAL_ID, KEY, REJECTED_SECRET, "FQoGZXIvYXdzE"):
            assert secret not in text


@pytest.mark.parametrize("python", sorted(PYTHONS))
def test_a_healthy_input_passes_every_check_with_a_warning_for_the_missing_dead_letter_queue(python, configured):
    standin, vendor, feed = configured
    code, out, err = run_doctor(PYTHONS[python], standin, "good", via_stdin=True)
    assert code == 0 and err == "", out + err
    assert statuses(out) == ["PASS", "PASS", "PASS", "PASS", "WARN", "PASS", "PASS", "PASS"], out
    lines = out.splitlines()
    assert lines[0].startswith("PASS configuration:") and "'acct'" in lines[0] and "'reader'" in lines[0]
    assert "any bucket a notification names is read (allowed_buckets is empty)" in lines[0]  # issue 19
    assert lines[2].startswith("PASS role:") and "with the external id" in lines[2]
    assert lines[4].startswith("WARN redrive_policy:") and "dead-letter queue" in lines[4]
    assert lines[6].startswith("PASS object:") and "5 records" in lines[6] and "aws:cloudtrail" in lines[6]
    assert lines[7].startswith("PASS cloudtrail_public_keys: cloudtrail:ListPublicKeys allowed")
    assert vendor.depth(feed.queue_url) == 1  # the waiting message was looked at, not consumed
    assert_no_secret(out, err)


@pytest.mark.parametrize("python", sorted(PYTHONS))
def test_list_public_keys_denied_is_a_warning_that_names_the_permission(python, configured, cloudtrail):
    standin, _, _ = configured
    cloudtrail.deny = True
    try:
        code, out, err = run_doctor(PYTHONS[python], standin, "good")
    finally:
        cloudtrail.deny = False
    assert code == 0, out + err  # a warning: digests are still checked for hashes and completeness
    [line] = [found for found in out.splitlines() if "cloudtrail_public_keys" in found]
    assert line.startswith("WARN cloudtrail_public_keys: cloudtrail:ListPublicKeys denied (AccessDeniedException)")
    assert "grant cloudtrail:ListPublicKeys" in line


@pytest.mark.parametrize("python", sorted(PYTHONS))
def test_the_shared_checkpoint_table_is_checked_and_a_missing_one_fails_naming_its_arn(python, configured):
    standin, vendor, feed = configured
    code, out, err = run_doctor(PYTHONS[python], standin, "shared")
    assert code == 0 and err == "", out + err
    names = [line.split()[1].rstrip(":") for line in out.splitlines()]
    assert names[3:6] == ["checkpoint_table", "checkpoint_ttl", "checkpoint_access"], out
    assert all(line.startswith("PASS") for line in out.splitlines()[3:6]), out
    code, out, err = run_doctor(PYTHONS[python], standin, "shared_missing")
    assert code == 1, out + err
    line = next(line for line in out.splitlines() if "checkpoint_table" in line)
    assert line.startswith("FAIL checkpoint_table:") and "arn:aws:dynamodb:us-east-1:123456789012:table/no-such-table" in line
    assert vendor.depth(feed.queue_url) == 1
    assert_no_secret(out, err)


@pytest.mark.parametrize("python", sorted(PYTHONS))
def test_a_missing_queue_or_input_fails_and_exits_1(python, configured):
    standin, _, _ = configured
    code, out, err = run_doctor(PYTHONS[python], standin, "broken")
    assert code == 1 and "FAIL queue:" in out and "no-such-queue does not exist in region us-east-1" in out, out + err
    code, out, err = run_doctor(PYTHONS[python], standin, "not-configured")
    assert code == 1 and out.startswith("FAIL configuration:") and "not-configured" in out, out + err
    assert_no_secret(out, err)


@pytest.mark.parametrize("python", sorted(PYTHONS))
def test_a_bad_log_type_rule_fails_the_configuration_naming_the_line_and_a_bucket_role_is_checked(python,
                                                                                                    configured):
    standin, vendor, feed = configured
    code, out, err = run_doctor(PYTHONS[python], standin, "badrule")
    assert code == 1 and out.startswith("FAIL configuration: log_type_rules: line 2: 'nope' is not a log type"), out
    code, out, err = run_doctor(PYTHONS[python], standin, "tworoles")
    assert "bucket IAM role 'reader'" in out.splitlines()[0], out
    bucket_line = next(line for line in out.splitlines() if line.split(" ", 1)[1].startswith("bucket_role:"))
    assert bucket_line.startswith("PASS bucket_role: bucket_iam_role 'reader': assumed arn:aws:iam::"), out + err
    assert any(line.startswith("PASS object:") for line in out.splitlines()), out + err
    assert vendor.depth(feed.queue_url) == 1
    assert_no_secret(out, err)


@pytest.mark.parametrize("python", sorted(PYTHONS))
def test_a_wrong_or_absent_session_key_fails_saying_so(python, configured):
    standin, _, _ = configured
    code, out, err = run_doctor(PYTHONS[python], standin, "good", key="not-the-key")
    assert code == 1 and out.startswith("FAIL configuration:") and "session key" in out, out + err
    code, out, err = run_doctor(PYTHONS[python], standin, "good", key="")
    assert code == 1 and out.startswith("FAIL session_key:"), out + err
    assert_no_secret(out, err)


def test_keys_aws_rejects_fail_the_credentials_check_without_printing_the_secret(configured, moto_server):
    standin, _, _ = configured
    python = PYTHONS[sorted(PYTHONS)[0]]
    with moto_server.iam_enforced():
        code, out, err = run_doctor(python, standin, "rejected")
    assert code == 1 and statuses(out) == ["PASS", "FAIL"], out + err
    assert "FAIL credentials:" in out and "InvalidClientTokenId" in out and "Accounts > rejected" in out
    assert_no_secret(out, err)
