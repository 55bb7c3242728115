"""The doctor's checks of the shared checkpoint table, against moto server's DynamoDB.

As in test_checks.py, moto ignores IAM policies until its authentication is switched on
(``/moto-api/reset-auth``); the tests "with IAM enforced" switch it on after the set-up,
so a user lacking one DynamoDB action gets the AccessDeniedException AWS gives.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request

import boto3
import pytest

from aws_emulator import ACCOUNT_ID, REGION, TEST_KEY_ID, TEST_SECRET, MotoServer
from sqs_s3_audit_engine.doctor.checks import run_checks
from sqs_s3_audit_engine.wiring import Settings
from sqs_s3_audit_engine.accounts import AccountConfig, ProxyConfig
from sqs_s3_audit_engine.config import parse_input


@pytest.fixture(scope="module")
def moto_server():
    with MotoServer() as server:
        yield server


def name(prefix):
    return f"{prefix}-{time.time_ns() % 10**9}"


def ddb(moto_server):
    return boto3.client("dynamodb", endpoint_url=moto_server.endpoint, region_name=REGION,
                        aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET)


def make_table(moto_server, ttl=True, keys=(("pk", "HASH", "S"),)):
    table = name("ckpt")
    client = ddb(moto_server)
    client.create_table(TableName=table, KeySchema=[{"AttributeName": k, "KeyType": t} for k, t, _ in keys],
                        AttributeDefinitions=[{"AttributeName": k, "AttributeType": a} for k, _, a in keys],
                        BillingMode="PAY_PER_REQUEST")
    if ttl:
        client.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True,
                                                                              "AttributeName": "expires_at"})
    return table


def checks(moto_server, vendor, table, account=None, feed=None):
    feed = feed or vendor.create_feed(name("tc"), name("tc"), notify=False, visibility_timeout=300)
    cfg = parse_input("doc", {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": REGION,
                              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
                              "dynamodb_endpoint_url": moto_server.endpoint, "checkpoint_store": "dynamodb",
                              "checkpoint_table": table})
    results = run_checks(cfg, Settings(account or AccountConfig("acct", TEST_KEY_ID, TEST_SECRET), None, ProxyConfig()))
    return {r.name: r for r in results}


def arn(table):
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table}"


def test_a_ready_table_passes_every_check_and_the_probe_item_is_gone(moto_server, vendor):
    table = make_table(moto_server)
    got = checks(moto_server, vendor, table)
    assert [n for n in got if n.startswith("checkpoint")] == ["checkpoint_table", "checkpoint_ttl", "checkpoint_access"]
    table_results = [r for n, r in got.items() if n.startswith("checkpoint")]
    assert all(r.status == "PASS" for r in table_results), [r.line() for r in got.values()]
    assert arn(table) in got["checkpoint_table"].message
    assert ddb(moto_server).scan(TableName=table)["Count"] == 0


def test_a_missing_table_fails_naming_its_arn_and_how_to_create_it(moto_server, vendor):
    table = name("absent")
    got = checks(moto_server, vendor, table)
    result = got["checkpoint_table"]
    assert result.status == "FAIL" and arn(table) in result.message and "ResourceNotFoundException" in result.message
    assert "partition key pk (String)" in result.message and "checkpoint_ttl" not in got
    assert got["queue"].status == "PASS"  # the queue checks still run


def test_ttl_off_is_a_warning_with_the_command_that_turns_it_on(moto_server, vendor):
    table = make_table(moto_server, ttl=False)
    result = checks(moto_server, vendor, table)["checkpoint_ttl"]
    assert result.status == "WARN" and "update-time-to-live" in result.message and table in result.message


def test_a_table_with_another_key_schema_fails(moto_server, vendor):
    table = make_table(moto_server, keys=(("id", "HASH", "S"),))
    result = checks(moto_server, vendor, table)["checkpoint_table"]
    assert result.status == "FAIL" and "partition key pk (String)" in result.message and "id HASH S" in result.message


def _set_moto_auth(moto_server, count: str) -> None:
    request = urllib.request.Request(moto_server.endpoint + "/moto-api/reset-auth", data=count.encode(),
                                     method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).read()


@contextlib.contextmanager
def iam_enforced(moto_server):
    _set_moto_auth(moto_server, "0")
    try:
        yield
    finally:
        _set_moto_auth(moto_server, "inf")


def iam_user(vendor, actions) -> AccountConfig:
    user = name("tc-user")
    vendor.iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    vendor.iam.put_user_policy(UserName=user, PolicyName="table-test", PolicyDocument=json.dumps(policy))
    key = vendor.iam.create_access_key(UserName=user)["AccessKey"]
    return AccountConfig("acct", key["AccessKeyId"], key["SecretAccessKey"])


BASE = ["sts:GetCallerIdentity", "sqs:*", "s3:*"]


def test_with_iam_enforced_each_missing_item_action_is_named_with_the_table_arn(moto_server, vendor):
    table = make_table(moto_server)
    account = iam_user(vendor, BASE + ["dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:GetItem",
                                       "dynamodb:PutItem"])
    feed = vendor.create_feed(name("tc"), name("tc"), notify=False, visibility_timeout=300)
    with iam_enforced(moto_server):
        got = checks(moto_server, vendor, table, account, feed)
    assert got["checkpoint_table"].status == "PASS" and got["checkpoint_ttl"].status == "PASS"
    result = got["checkpoint_access"]
    assert result.status == "FAIL" and arn(table) in result.message
    assert "dynamodb:UpdateItem" in result.message and "dynamodb:DeleteItem" in result.message
    assert "dynamodb:PutItem" not in result.message.split(" denied")[0]


def test_with_iam_enforced_describe_table_denied_fails_naming_the_action_and_arn(moto_server, vendor):
    table = make_table(moto_server)
    account = iam_user(vendor, BASE + ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                       "dynamodb:DeleteItem"])
    feed = vendor.create_feed(name("tc"), name("tc"), notify=False, visibility_timeout=300)
    with iam_enforced(moto_server):
        got = checks(moto_server, vendor, table, account, feed)
    result = got["checkpoint_table"]
    assert result.status == "FAIL" and "dynamodb:DescribeTable denied on" in result.message
    assert arn(table) in result.message and TEST_SECRET not in result.message
