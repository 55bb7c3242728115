"""The doctor's checks against moto server: each made to pass, warn or fail for the right reason.

Real boto3 over HTTP against the session's moto server (conftest). moto accepts any access key
and ignores IAM policies until its authentication is switched on (``/moto-api/reset-auth``);
the tests marked "with IAM enforced" switch it on after the vendor side is set up, so that
rejected keys and missing permissions (sts:AssumeRole, sqs:GetQueueAttributes,
s3:GetObject) give the answers AWS gives. moto never evaluates a role's trust policy or
external id, nor KMS key policies: a wrong external id cannot be shown here, only a user
that may not call sts:AssumeRole at all.
"""

from __future__ import annotations

import json
import time

import pytest

import sample_logs as samples
from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET
from sqs_s3_audit_engine.doctor.checks import run_checks
from sqs_s3_audit_engine.wiring import Settings
from sqs_s3_audit_engine.accounts import AccountConfig, ProxyConfig, RoleConfig
from sqs_s3_audit_engine.config import parse_input


@pytest.fixture(scope="module")
def cloudtrail():
    from cloudtrail_standin import CloudTrailStandin

    server = CloudTrailStandin().start()
    server.key(REGION)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _cloudtrail_endpoint(cloudtrail, monkeypatch):
    cloudtrail.deny = False
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail.endpoint)


def cfg_for(moto_server, queue_url, **extra):
    values = {"account": "acct", "sqs_queue_url": queue_url, "aws_region": REGION,
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint}
    values.update(extra)
    return parse_input("doc", values)


def checks(moto_server, queue_url, role=None, account=None, **extra):
    settings = Settings(account or AccountConfig("acct", TEST_KEY_ID, TEST_SECRET), role, ProxyConfig())
    results = run_checks(cfg_for(moto_server, queue_url, **extra), settings)
    for result in results:
        assert TEST_SECRET not in result.message and "ext-1" not in result.message
    return {r.name: r for r in results}


def name(prefix):
    return f"{prefix}-{time.time_ns() % 10**9}"


def ready_feed(vendor, prefix, records=12, **kwargs):
    """A bucket and queue with one CloudTrail object notified and waiting."""
    feed = vendor.create_feed(name(prefix), name(prefix), visibility_timeout=300, **kwargs)
    vendor.drain(feed.queue_url)  # moto's s3:TestEvent
    vendor.put_object(feed.bucket, samples.cloudtrail_key(1), samples.cloudtrail_object(samples.cloudtrail_records(records)))
    return feed


def test_a_healthy_feed_passes_and_the_waiting_message_is_not_consumed(vendor, moto_server):
    feed = ready_feed(vendor, "doc-ok")
    role = RoleConfig("r", vendor.create_role(name("DocRole"), "ext-1"), "ext-1", 900)
    got = checks(moto_server, feed.queue_url, role)
    assert list(got) == ["credentials", "role", "queue", "redrive_policy", "visibility_timeout", "object",
                         "cloudtrail_public_keys"]
    assert all(r.status == "PASS" for r in got.values()), [r.line() for r in got.values()]
    assert "12 records" in got["object"].message and "aws:cloudtrail" in got["object"].message
    assert "with the external id" in got["role"].message and role.role_arn in got["role"].message
    assert vendor.depth(feed.queue_url) == 1  # looked at, not consumed
    assert vendor.sqs.receive_message(QueueUrl=feed.queue_url, WaitTimeSeconds=1).get("Messages")  # visible again


def test_an_account_without_keys_uses_the_hosts_default_credential_chain(vendor, moto_server, monkeypatch):
    feed = ready_feed(vendor, "doc-chain")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET)
    got = checks(moto_server, feed.queue_url, account=AccountConfig("host"))
    assert got["credentials"].status == "PASS" and "default credential chain" in got["credentials"].message
    assert got["object"].status == "PASS"


def test_an_input_set_sourcetype_is_reported_as_the_sourcetype(vendor, moto_server):
    feed = ready_feed(vendor, "doc-st", records=3)
    got = checks(moto_server, feed.queue_url, sourcetype="my:ct")
    assert "3 records" in got["object"].message and "sourcetype my:ct" in got["object"].message


def test_a_missing_queue_fails_naming_the_url_and_the_region(moto_server):
    url = f"{moto_server.endpoint}/123456789012/{name('nope')}"
    got = checks(moto_server, url)
    assert got["queue"].status == "FAIL"
    assert url in got["queue"].message and f"region {REGION}" in got["queue"].message
    assert "check sqs_queue_url and aws_region" in got["queue"].message
    assert "object" not in got and "redrive_policy" not in got


def test_no_redrive_policy_and_a_short_visibility_timeout_are_warnings_that_say_what_to_set(vendor, moto_server):
    feed = vendor.create_feed(name("doc-warn"), name("doc-warn"), with_dlq=False, visibility_timeout=20)
    got = checks(moto_server, feed.queue_url)
    assert got["redrive_policy"].status == "WARN" and "dead-letter queue" in got["redrive_policy"].message
    assert "maxReceiveCount" in got["redrive_policy"].message
    assert got["visibility_timeout"].status == "WARN" and "20 s" in got["visibility_timeout"].message
    assert "at least 60 s" in got["visibility_timeout"].message


def test_a_max_receive_count_of_one_warns_and_the_waiting_message_is_not_received(vendor, moto_server):
    feed = ready_feed(vendor, "doc-once", max_receives=1)
    got = checks(moto_server, feed.queue_url)
    assert got["redrive_policy"].status == "WARN" and "maxReceiveCount is 1" in got["redrive_policy"].message
    assert got["object"].status == "WARN" and "not checked" in got["object"].message
    message = vendor.sqs.receive_message(QueueUrl=feed.queue_url, AttributeNames=["ApproximateReceiveCount"],
                                         WaitTimeSeconds=1)["Messages"][0]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"  # this receive is the first


def test_a_vanished_object_is_a_warning_naming_the_key(vendor, moto_server):
    feed = vendor.create_feed(name("doc-gone"), name("doc-gone"), notify=False, visibility_timeout=300)
    vendor.send(feed.queue_url, '{"s3Bucket": "%s", "s3ObjectKey": ["AWSLogs/gone.json.gz"]}' % feed.bucket)
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "WARN" and "NoSuchKey" in got["object"].message
    assert f"s3://{feed.bucket}/AWSLogs/gone.json.gz" in got["object"].message


def test_an_undecodable_object_fails_with_the_reason(vendor, moto_server):
    feed = vendor.create_feed(name("doc-junk"), name("doc-junk"), visibility_timeout=300)
    vendor.drain(feed.queue_url)
    vendor.put_object(feed.bucket, "junk.bin", bytes(range(256)) * 50)
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "FAIL" and "binary_content" in got["object"].message
    assert "log_type" in got["object"].message
    assert vendor.depth(feed.queue_url) == 1  # a failed look does not consume the message either


def test_an_unusable_message_fails_the_object_check(vendor, moto_server):
    feed = vendor.create_feed(name("doc-msg"), name("doc-msg"), notify=False, visibility_timeout=300)
    vendor.send(feed.queue_url, "hello")
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "FAIL" and "not JSON" in got["object"].message


def test_an_empty_queue_passes_saying_no_object_was_read(vendor, moto_server):
    feed = vendor.create_feed(name("doc-empty"), name("doc-empty"), notify=False, visibility_timeout=300)
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "PASS" and "no message waiting" in got["object"].message


# ------------------------------------------------------------------ with IAM enforced

def iam_user(vendor, actions) -> AccountConfig:
    user = name("doc-user")
    vendor.iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    vendor.iam.put_user_policy(UserName=user, PolicyName="doctor-test", PolicyDocument=json.dumps(policy))
    key = vendor.iam.create_access_key(UserName=user)["AccessKey"]
    return AccountConfig("acct", key["AccessKeyId"], key["SecretAccessKey"])


def test_with_iam_enforced_rejected_keys_fail_the_credentials_check_and_nothing_after_it(vendor, moto_server):
    feed = ready_feed(vendor, "doc-keys")
    with moto_server.iam_enforced():
        got = checks(moto_server, feed.queue_url, account=AccountConfig("acct", "AKIAREJECTEDKEY00000", "not-it"))
    assert list(got) == ["credentials"]
    assert got["credentials"].status == "FAIL" and "InvalidClientTokenId" in got["credentials"].message
    assert "Configuration > Accounts > acct" in got["credentials"].message
    assert "not-it" not in got["credentials"].message


def test_with_iam_enforced_a_user_without_sts_assume_role_fails_the_role_check_naming_the_role(vendor, moto_server):
    feed = ready_feed(vendor, "doc-trust")
    account = iam_user(vendor, ["sts:GetCallerIdentity", "sqs:*", "s3:*"])
    role = RoleConfig("reader", vendor.create_role(name("DocDenied"), "ext-1"), "ext-1", 900)
    with moto_server.iam_enforced():
        got = checks(moto_server, feed.queue_url, role, account=account)
    assert got["credentials"].status == "PASS" and got["role"].status == "FAIL"
    message = got["role"].message
    assert role.role_arn in message and "AccessDenied" in message
    assert "trust policy" in message and "external id" in message and "IAM Roles > reader" in message
    assert "queue" not in got


def test_with_iam_enforced_a_user_without_sqs_rights_fails_the_queue_check_naming_the_action(vendor, moto_server):
    feed = ready_feed(vendor, "doc-nosqs")
    account = iam_user(vendor, ["sts:GetCallerIdentity", "s3:*"])
    with moto_server.iam_enforced():
        got = checks(moto_server, feed.queue_url, account=account)
    assert got["queue"].status == "FAIL"
    assert "sqs:GetQueueAttributes denied on" in got["queue"].message and feed.queue_arn in got["queue"].message
    assert "object" not in got


def test_with_iam_enforced_a_user_without_s3_get_object_fails_the_object_check_with_the_kms_hint(vendor, moto_server):
    feed = ready_feed(vendor, "doc-nos3")
    account = iam_user(vendor, ["sts:GetCallerIdentity", "sqs:*"])
    with moto_server.iam_enforced():
        got = checks(moto_server, feed.queue_url, account=account)
    assert got["queue"].status == "PASS" and got["object"].status == "FAIL"
    message = got["object"].message
    assert "AccessDenied" in message and f"s3:GetObject on arn:aws:s3:::{feed.bucket}/*" in message
    assert "kms:Decrypt" in message
    assert vendor.depth(feed.queue_url) == 1  # the message was made visible again, not consumed


def test_an_sns_message_naming_no_object_warns_with_its_topic_and_the_fix(vendor, moto_server):
    feed = vendor.create_feed(name("doc-alarm"), name("doc-alarm"), notify=False, visibility_timeout=300)
    vendor.send(feed.queue_url, json.dumps({
        "Type": "Notification", "MessageId": "a1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:ops-alerts",
        "Subject": "ALARM: disk", "Message": "disk almost full", "Timestamp": "2024-01-01T00:00:00.000Z"}))
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "WARN"
    assert "TopicArn=arn:aws:sns:us-east-1:123456789012:ops-alerts" in got["object"].message
    assert "subscription filter policy" in got["object"].message
    assert vendor.depth(feed.queue_url) == 1


def test_a_config_item_change_waiting_passes_as_a_record_the_message_carries(vendor, moto_server):
    import os
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples", "config",
                        "sns_item_change_security_group.json")  # the developer guide's documented example
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc["Message"] = json.dumps(doc["Message"])
    feed = vendor.create_feed(name("doc-cfg"), name("doc-cfg"), notify=False, visibility_timeout=300)
    vendor.send(feed.queue_url, json.dumps(doc))
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "PASS" and "aws:config:notification" in got["object"].message


def test_list_public_keys_denied_is_a_warning_naming_the_permission_and_skip_leaves_it_out(vendor, moto_server, cloudtrail):
    feed = ready_feed(vendor, "doc-ct")
    cloudtrail.deny = True
    got = checks(moto_server, feed.queue_url)
    assert got["cloudtrail_public_keys"].status == "WARN"
    assert "cloudtrail:ListPublicKeys denied" in got["cloudtrail_public_keys"].message
    assert "cloudtrail_digests = skip" in got["cloudtrail_public_keys"].message
    assert "cloudtrail_public_keys" not in checks(moto_server, feed.queue_url, cloudtrail_digests="skip")
