"""The doctor's checks against moto server: each made to pass, warn or fail for the right reason.

moto accepts any access key and does not enforce IAM policies or trust policies, so
"access denied" cases cannot be produced here; the cases below are what moto can show.
"""

from __future__ import annotations

import time

import sample_logs as samples
from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET
from sqs_s3_audit_engine.checks import run_checks
from sqs_s3_audit_engine.config import AccountConfig, ProxyConfig, RoleConfig, parse_input


def cfg_for(moto_server, queue_url, **extra):
    values = {"account": "acct", "sqs_queue_url": queue_url, "aws_region": REGION,
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint}
    values.update(extra)
    return parse_input("doc", values)


def checks(moto_server, queue_url, role=None, **extra):
    results = run_checks(cfg_for(moto_server, queue_url, **extra), AccountConfig("acct", TEST_KEY_ID, TEST_SECRET),
                         role, ProxyConfig())
    return {r.name: r for r in results}


def name(prefix):
    return f"{prefix}-{time.time_ns() % 10**9}"


def test_a_healthy_feed_passes_and_the_waiting_message_is_not_consumed(vendor, moto_server):
    feed = vendor.create_feed(name("doc-ok"), name("doc-ok"), visibility_timeout=300)
    vendor.drain(feed.queue_url)  # moto's s3:TestEvent
    vendor.put_object(feed.bucket, samples.cloudtrail_key(1), samples.cloudtrail_object(samples.cloudtrail_records(12)))
    role = RoleConfig("r", vendor.create_role(name("DocRole"), "ext-1"), "ext-1", 900)
    got = checks(moto_server, feed.queue_url, role)
    assert all(r.status == "PASS" for r in got.values()), [r.line() for r in got.values()]
    assert "12 records" in got["object"].message and "aws:cloudtrail" in got["object"].message
    assert "with the external id" in got["role"].message
    assert vendor.depth(feed.queue_url) == 1  # looked at, not consumed
    assert vendor.sqs.receive_message(QueueUrl=feed.queue_url, WaitTimeSeconds=1).get("Messages")  # visible again


def test_a_missing_queue_fails_naming_the_url_and_the_fix(moto_server):
    url = f"{moto_server.endpoint}/123456789012/{name('nope')}"
    got = checks(moto_server, url)
    assert got["queue"].status == "FAIL"
    assert url in got["queue"].message and "check sqs_queue_url and aws_region" in got["queue"].message
    assert "object" not in got


def test_no_redrive_policy_and_a_short_visibility_timeout_are_warnings(vendor, moto_server):
    feed = vendor.create_feed(name("doc-warn"), name("doc-warn"), with_dlq=False, visibility_timeout=20)
    got = checks(moto_server, feed.queue_url)
    assert got["redrive_policy"].status == "WARN" and "dead-letter queue" in got["redrive_policy"].message
    assert got["visibility_timeout"].status == "WARN" and "at least 60 s" in got["visibility_timeout"].message


def test_a_vanished_object_fails_the_object_check(vendor, moto_server):
    feed = vendor.create_feed(name("doc-gone"), name("doc-gone"), notify=False, visibility_timeout=300)
    vendor.send(feed.queue_url, '{"s3Bucket": "%s", "s3ObjectKey": ["AWSLogs/gone.json.gz"]}' % feed.bucket)
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "FAIL" and "NoSuchKey" in got["object"].message


def test_an_undecodable_object_fails_with_the_reason(vendor, moto_server):
    feed = vendor.create_feed(name("doc-junk"), name("doc-junk"), visibility_timeout=300)
    vendor.drain(feed.queue_url)
    vendor.put_object(feed.bucket, "junk.bin", bytes(range(256)) * 50)
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "FAIL" and "binary_content" in got["object"].message


def test_an_unusable_message_fails_the_object_check(vendor, moto_server):
    feed = vendor.create_feed(name("doc-msg"), name("doc-msg"), notify=False, visibility_timeout=300)
    vendor.send(feed.queue_url, "hello")
    got = checks(moto_server, feed.queue_url)
    assert got["object"].status == "FAIL" and "not JSON" in got["object"].message
