"""Checks on save (Splunk Web): ``sqs_s3_audit_splunk.save_checks`` against moto server and
the splunkd stand-in. moto accepts any keys, so "AWS rejected these keys" is not shown here.

The REST handlers that call these checks are run as splunkd runs them, through
splunktaucclib's real admin-handler entry, in tests/e2e/test_save_handlers.py.
"""

from __future__ import annotations

import time

import pytest

from aws_emulator import TEST_KEY_ID, TEST_SECRET
from harness import seed_splunkd
from splunkd_standin import SplunkdStandIn
from sqs_s3_audit_splunk.save_checks import check_account, check_input, check_role
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig

@pytest.fixture
def splunkd(vendor):
    role_arn = vendor.create_role(f"SaveCheck{time.time_ns() % 10**8}", "save-ext")
    standin = seed_splunkd(SplunkdStandIn(session_key="k"), role_arn, "save-ext")
    standin.start()
    yield SplunkdConfig(standin.base_url, "k")
    standin.stop()


def test_account_keys_are_checked_with_sts_and_empty_keys_mean_the_default_chain(moto_server):
    assert check_account({"aws_access_key_id": "", "aws_secret_access_key": ""}) is None
    assert check_account({"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": TEST_SECRET},
                         sts_endpoint_url=moto_server.endpoint) is None
    assert "both" in check_account({"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": ""})


def test_unreachable_sts_does_not_refuse_a_save():
    assert check_account({"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": TEST_SECRET},
                         sts_endpoint_url="http://127.0.0.1:9") is None


def test_role_arn_and_duration_are_checked():
    assert check_role({"role_arn": "arn:aws:iam::123456789012:role/R", "session_duration": "3600"}) is None
    assert check_role({"role_arn": "arn:aws:iam::123:role/R"}).startswith("role_arn:")
    assert check_role({"role_arn": "arn:aws:iam::123456789012:role/R", "session_duration": "60"}).startswith("session_duration:")


def base(moto_server, queue_url, **extra):
    values = {"account": "acct", "iam_role": "reader", "sqs_queue_url": queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint}
    values.update(extra)
    return values


def test_an_input_with_a_readable_queue_is_saved_and_bad_ones_are_refused_naming_the_problem(vendor, moto_server, splunkd):
    feed = vendor.create_feed(f"save-{time.time_ns() % 10**8}", f"save-{time.time_ns() % 10**8}", notify=False)
    assert check_input("in", base(moto_server, feed.queue_url), splunkd) is None
    missing = f"{moto_server.endpoint}/123456789012/no-such-queue-{time.time_ns() % 10**6}"
    assert "NonExistentQueue" in check_input("in", base(moto_server, missing), splunkd)
    assert check_input("in", base(moto_server, feed.queue_url, account="ghost"), splunkd).startswith("account:")
    assert check_input("in", base(moto_server, feed.queue_url, iam_role="ghost"), splunkd).startswith("iam_role:")
    assert check_input("in", base(moto_server, "https://sqs.us-east-1.amazonaws.com/1/q"), splunkd).startswith("sqs_queue_url:")


def test_an_input_on_a_shared_checkpoint_table_is_refused_while_the_table_is_missing_and_saved_once_it_exists(
        vendor, moto_server, splunkd):
    import boto3

    feed = vendor.create_feed(f"save-t-{time.time_ns() % 10**8}", f"save-t-{time.time_ns() % 10**8}", notify=False)
    table = f"save-ckpt-{time.time_ns() % 10**8}"
    params = base(moto_server, feed.queue_url, checkpoint_store="dynamodb", checkpoint_table=table,
                  dynamodb_endpoint_url=moto_server.endpoint)
    refusal = check_input("in", params, splunkd)
    assert refusal.startswith("checkpoint_table:") and table in refusal and "ResourceNotFoundException" in refusal
    assert check_input("in", dict(params, checkpoint_table=""), splunkd).startswith("checkpoint_table: is required")
    ddb = boto3.client("dynamodb", endpoint_url=moto_server.endpoint, region_name="us-east-1",
                       aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET)
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert check_input("in", params, splunkd) is None


def test_a_bucket_iam_role_is_checked_on_save_and_a_missing_or_bad_one_is_refused_naming_it(vendor, moto_server,
                                                                                          splunkd):
    feed = vendor.create_feed(f"save-{time.time_ns() % 10**8}", f"save-{time.time_ns() % 10**8}", notify=False)
    # the stand-in's one role, "reader", serves as the bucket role too (assumable, with its external id)
    assert check_input("in", base(moto_server, feed.queue_url, bucket_iam_role="reader"), splunkd) is None
    refused = check_input("in", base(moto_server, feed.queue_url, bucket_iam_role="ghost"), splunkd)
    assert refused.startswith("bucket_iam_role:") and "ghost" in refused
