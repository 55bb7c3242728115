"""``bucket_iam_role``: the queue read with one role, the objects with another.

Real boto3 over HTTP against the session's moto server. With moto's IAM authentication on
(``MotoServer.iam_enforced``), the account's user may only assume roles, the queue role
may only use SQS and the bucket role only S3: a collection that drains the queue and
writes every record proves that each role did its own part (neither could have done the
other's). moto evaluates each role's trust policy (the user's ARN as principal, the
external id as condition) but not KMS key policies, so ``kms:Decrypt`` cannot be shown
here; the S3 client that reads the object is the one KMS decrypts for.
Also: the doctor's checks name the role that lacks a permission, and a bucket role's
refreshed credentials keep reading.
"""

from __future__ import annotations

import json
import time

import sample_logs as samples
from aws_emulator import REGION
from harness import CollectingSink, make_collector, run_until
from sqs_s3_audit_engine.doctor.checks import run_checks
from sqs_s3_audit_engine.wiring import Settings
from sqs_s3_audit_engine.accounts import AccountConfig, ProxyConfig, RoleConfig
from sqs_s3_audit_engine.config import parse_input


def name(prefix):
    return f"{prefix}-{time.time_ns() % 10**9}"


def assume_only_user(vendor) -> AccountConfig:
    user = name("org-user")
    USERS[user] = vendor.iam.create_user(UserName=user)["User"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:GetCallerIdentity"], "Resource": "*"}]}
    vendor.iam.put_user_policy(UserName=user, PolicyName="assume-only", PolicyDocument=json.dumps(policy))
    key = vendor.iam.create_access_key(UserName=user)["AccessKey"]
    return AccountConfig(user, key["AccessKeyId"], key["SecretAccessKey"])


USERS = {}  # user name -> ARN


def role_allowing(vendor, prefix, actions, external_id="", trusts=None) -> RoleConfig:
    """A role that the user ``trusts`` (an AccountConfig made by ``assume_only_user``) may
    assume, with the external id when given, and that may call ``actions``."""
    role_name = name(prefix)
    statement = {"Effect": "Allow", "Principal": {"AWS": USERS[trusts.name]}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    arn = vendor.iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    vendor.iam.put_role_policy(RoleName=role_name, PolicyName="only", PolicyDocument=json.dumps(policy))
    return RoleConfig(prefix, arn, external_id, 900)


def drained_as_queue_role(collector, queue_url):
    """done() for run_until while IAM is enforced: the queue is empty, asked with the
    queue role's own client (the vendor's test key is refused then)."""
    def done():
        attrs = collector.parts.clients.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0
    return done


def org_trail(vendor, records=7):
    """The organisation-trail layout: a queue, and a bucket holding one CloudTrail file."""
    feed = vendor.create_feed(name("org-archive"), name("org-security"), visibility_timeout=120)
    vendor.drain(feed.queue_url)  # moto's s3:TestEvent
    key = samples.cloudtrail_key(1)
    vendor.put_object(feed.bucket, key, samples.cloudtrail_object(samples.cloudtrail_records(records)))
    return feed, key


def test_the_queue_is_read_with_iam_role_and_the_object_with_bucket_iam_role(vendor, moto_server, tmp_path):
    feed, key = org_trail(vendor)
    account = assume_only_user(vendor)
    queue_role = role_allowing(vendor, "queue-role", ["sqs:*"], "ext-q", trusts=account)
    bucket_role = role_allowing(vendor, "bucket-role", ["s3:GetObject", "s3:ListBucket"], "ext-b", trusts=account)
    sink = CollectingSink()
    with moto_server.iam_enforced():
        collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink, name="org",
                                   role=queue_role, bucket_role=bucket_role, account=account)
        run_until(collector, drained_as_queue_role(collector, feed.queue_url))
    assert len(sink.events) == 7
    assert {e[0] for e in sink.events} == {f"s3://{feed.bucket}/{key}"}
    assert {e[1] for e in sink.events} == {"aws:cloudtrail"}
    assert not [line for line in collector.log_lines if line.startswith("ERROR")]
    parts = collector.parts
    assert parts.clients.bucket_session is not parts.clients.session


def test_without_the_bucket_role_the_queue_role_cannot_read_the_object(vendor, moto_server, tmp_path):
    # The control experiment: the same layout with the bucket role left out fails on
    # s3:GetObject, so the test above read the object with the bucket role.
    feed, key = org_trail(vendor, records=3)
    account = assume_only_user(vendor)
    queue_role = role_allowing(vendor, "queue-role", ["sqs:*"], trusts=account)
    sink = CollectingSink()
    with moto_server.iam_enforced():
        collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink, name="org-ctl",
                                   role=queue_role, account=account)
        run_until(collector, lambda: any("object_failed" in line for line in collector.log_lines), timeout=90)
    assert sink.events == []
    failed = [line for line in collector.log_lines if "object_failed" in line]
    assert key in failed[0] and "AccessDenied" in failed[0]


def test_backfill_lists_the_bucket_with_the_bucket_role(vendor, moto_server, tmp_path):
    feed, key = org_trail(vendor, records=4)
    vendor.drain(feed.queue_url)  # the object is announced by no message: only the backfill finds it
    account = assume_only_user(vendor)
    queue_role = role_allowing(vendor, "queue-role", ["sqs:*"], trusts=account)
    bucket_role = role_allowing(vendor, "bucket-role", ["s3:GetObject", "s3:ListBucket"], trusts=account)
    values = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": REGION,
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
              "backfill_bucket": feed.bucket, "backfill_start_date": "2000-01-01"}
    cfg = parse_input("org-backfill", values)

    sink = CollectingSink()
    with moto_server.iam_enforced():
        collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink=sink,
                                   name="org-backfill", role=queue_role, bucket_role=bucket_role, account=account,
                                   backfill_bucket=feed.bucket, backfill_start_date="2000-01-01")
        backfill = collector.parts.backfill
        assert backfill is not None and backfill.bucket == cfg.backfill_bucket, "wiring builds the backfill"
        backfill.run()
    assert len(sink.events) == 4 and {e[0] for e in sink.events} == {f"s3://{feed.bucket}/{key}"}


def _doctor(moto_server, feed, account, role, bucket_role, **extra):
    values = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": REGION,
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
              "cloudtrail_digests": "skip", "iam_role": role.name, "bucket_iam_role": bucket_role.name}
    values.update(extra)
    results = run_checks(parse_input("org", values), Settings(account, role, ProxyConfig(), bucket_role=bucket_role))
    for result in results:
        assert account.secret_access_key not in result.message and "ext-" not in result.message
    return {r.name: r for r in results}


def test_the_doctor_checks_both_roles_and_passes_a_healthy_layout(vendor, moto_server):
    feed, _ = org_trail(vendor)
    account = assume_only_user(vendor)
    role = role_allowing(vendor, "queue-role", ["sqs:*"], "ext-q", trusts=account)
    bucket_role = role_allowing(vendor, "bucket-role", ["s3:GetObject", "s3:ListBucket"], "ext-b", trusts=account)
    with moto_server.iam_enforced():
        got = _doctor(moto_server, feed, account, role, bucket_role, backfill_bucket=feed.bucket,
                      backfill_start_date="2024-01-01")
    assert list(got) == ["credentials", "role", "bucket_role", "backfill_listing", "queue", "redrive_policy",
                         "visibility_timeout", "object"]
    assert all(r.status == "PASS" for r in got.values()), [r.line() for r in got.values()]
    assert bucket_role.role_arn in got["bucket_role"].message and "iam_role 'queue-role'" in got["bucket_role"].message
    assert vendor.depth(feed.queue_url) == 1  # looked at, not consumed


def test_the_doctor_names_the_bucket_role_that_cannot_get_or_list(vendor, moto_server):
    feed, _ = org_trail(vendor)
    account = assume_only_user(vendor)
    role = role_allowing(vendor, "queue-role", ["sqs:*", "s3:*"], trusts=account)  # the queue role could: it is not asked
    bucket_role = role_allowing(vendor, "bucket-role", ["sqs:GetQueueAttributes"], trusts=account)
    with moto_server.iam_enforced():
        got = _doctor(moto_server, feed, account, role, bucket_role, backfill_bucket=feed.bucket,
                      backfill_start_date="2024-01-01")
    assert got["queue"].status == "PASS" and got["bucket_role"].status == "PASS"
    obj, listing = got["object"], got["backfill_listing"]
    assert obj.status == "FAIL" and listing.status == "FAIL"
    assert f"bucket role {bucket_role.role_arn} cannot s3:GetObject on bucket {feed.bucket}" in obj.message
    assert f"bucket role {bucket_role.role_arn} cannot s3:ListBucket on bucket {feed.bucket}" in listing.message
    assert vendor.depth(feed.queue_url) == 1


def test_the_doctor_names_the_queue_role_when_it_lacks_sqs(vendor, moto_server):
    feed, _ = org_trail(vendor)
    account = assume_only_user(vendor)
    role = role_allowing(vendor, "queue-role", ["s3:*"], trusts=account)
    bucket_role = role_allowing(vendor, "bucket-role", ["s3:*", "sqs:*"], trusts=account)  # could read the queue: not asked
    with moto_server.iam_enforced():
        got = _doctor(moto_server, feed, account, role, bucket_role)
    assert got["queue"].status == "FAIL" and "sqs:GetQueueAttributes denied" in got["queue"].message
    assert got["queue"].message.startswith(f"queue role {role.role_arn} (iam_role 'queue-role'): ")
    assert "object" not in got


def test_a_bucket_role_assumed_with_the_wrong_external_id_fails_naming_bucket_iam_role(vendor, moto_server):
    feed, _ = org_trail(vendor)
    account = assume_only_user(vendor)
    role = role_allowing(vendor, "queue-role", ["sqs:*"], "ext-q", trusts=account)
    bucket_role = role_allowing(vendor, "bucket-role", ["s3:*"], "ext-b", trusts=account)
    wrong = RoleConfig(bucket_role.name, bucket_role.role_arn, "ext-wrong", 900)
    with moto_server.iam_enforced():
        got = _doctor(moto_server, feed, account, role, wrong)
    assert got["role"].status == "PASS" and got["bucket_role"].status == "FAIL"
    message = got["bucket_role"].message
    assert message.startswith("bucket_iam_role 'bucket-role': cannot assume " + bucket_role.role_arn)
    assert "AccessDenied" in message and "external id" in message
    assert "object" not in got and got["queue"].status == "PASS"


def test_bucket_role_credentials_refresh_like_the_queue_role(vendor, moto_server):
    from sqs_s3_audit_engine.aws_clients import build_clients

    feed, key = org_trail(vendor, records=2)
    account = assume_only_user(vendor)
    queue_role = role_allowing(vendor, "queue-role", ["sqs:*"], trusts=account)
    bucket_role = role_allowing(vendor, "bucket-role", ["s3:*"], trusts=account)
    cfg = parse_input("org", {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": REGION,
                              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint})
    with moto_server.iam_enforced():
        clients = build_clients(cfg, account, queue_role, ProxyConfig(), bucket_role)
        bucket_creds = clients.bucket_session.get_credentials()
        queue_creds = clients.session.get_credentials()
        assert bucket_creds.method == queue_creds.method == "sts-assume-role"
        first = bucket_creds.get_frozen_credentials().access_key
        bucket_creds._expiry_time = bucket_creds._expiry_time.replace(year=2000)  # as if the session had expired
        assert clients.s3.get_object(Bucket=feed.bucket, Key=key)["Body"].read()
        assert bucket_creds.get_frozen_credentials().access_key != first  # assumed again
