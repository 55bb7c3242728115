"""The built input, run as splunkd runs it under Python 3.9 and 3.13, on the AWS logs of
issue 13: documented sample files by key, AWS Config through its SNS topic, an unrelated
SNS message. Every record once, with the Splunk Add-on for AWS sourcetype, no header line."""

from __future__ import annotations

import gzip
import json
import os
import time

import pytest

from harness import seed_splunkd
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build` (make test does)")

SESSION_KEY = "e2e-session-key-aws-logs"
PYTHONS = pythons()
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples")
ACCT = "123456789012"


def read(*parts) -> bytes:
    with open(os.path.join(SAMPLES, *parts), "rb") as f:
        return f.read()


def records(*parts, skip=0):
    return [x for x in read(*parts).decode("utf-8").split("\n") if x.strip()][skip:]


@pytest.fixture
def splunkd():
    standin = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY), loglevel="DEBUG")
    standin.start()
    yield standin
    standin.stop()


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_built_input_writes_each_aws_log_type_with_its_sourcetype_and_no_header_lines(python, moto_server, vendor,
                                                                                     splunkd, tmp_path):
    name = f"awslogs-{python}-{os.getpid()}-{int(time.time()) % 10000}"
    feed = vendor.create_feed(name, name)
    topic = vendor.sns.create_topic(Name=name + "-config")["TopicArn"]
    vendor.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=feed.queue_arn)
    objects = {
        f"AWSLogs/{ACCT}/elasticloadbalancing/us-east-2/2016/05/01/{ACCT}_elasticloadbalancing_us-east-2_app.lb.1_"
        "20140215T2340Z_172.160.001.192_20sg8hgm.log.gz":
            (gzip.compress(read("elb", "mixed_access.log")), "aws:elb:accesslogs", records("elb", "mixed_access.log")),
        "cf/E2EXAMPLE.2019-12-04-21.a1b2c3d4.gz":
            (gzip.compress(read("cloudfront", "E2EXAMPLE.2019-12-04-21.a1b2c3d4.log")), "aws:cloudfront:accesslogs",
             records("cloudfront", "E2EXAMPLE.2019-12-04-21.a1b2c3d4.log", skip=2)),
        f"AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2019/08/26/{ACCT}_vpcflowlogs_us-east-1_fl-1_20190826T1945Z_ab.log.gz":
            (gzip.compress(read("vpcflow", "custom_v3_tcp_flags.log")), "aws:cloudwatchlogs:vpcflow",
             records("vpcflow", "custom_v3_tcp_flags.log", skip=1)),
        f"AWSLogs/{ACCT}/GuardDuty/us-east-1/2024/05/30/07a3f2ce-1485-3031-b842-e1f324c4a48d.jsonl.gz":
            (gzip.compress(read("guardduty", "findings.jsonl")), "aws:cloudwatch:guardduty",
             [json.loads(x) for x in records("guardduty", "findings.jsonl")]),
    }
    for key, (body, _, _) in objects.items():
        vendor.put_object(feed.bucket, key, body)
    change = json.loads(read("config", "sns_item_change_security_group.json"))["Message"]
    vendor.sns.publish(TopicArn=topic, Message=json.dumps(change), Subject="[AWS Config:us-east-2] sg created")
    vendor.sns.publish(TopicArn=topic, Message="nightly backup finished", Subject="backup")
    expected = sum(len(r) for _, _, r in objects.values()) + 1
    values = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
              "index": "aws", "interval": "60", "max_workers": "2"}
    proc = RunningInput(PYTHONS[python], input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "aws",
                                                   values), str(tmp_path))
    proc.wait_for(lambda: proc.event_count() >= expected and vendor.depth(feed.queue_url) == 0, 90)
    assert proc.terminate(10) < 10 and proc.proc.returncode == 0, proc.stderr
    events = parse_events(proc.stdout)
    assert len(events) == expected
    by_source = {}
    for event in events:
        by_source.setdefault(event["source"], []).append(event)
    for key, (_, sourcetype, want) in objects.items():
        got = by_source[f"s3://{feed.bucket}/{key}"]
        assert {e["sourcetype"] for e in got} == {sourcetype}
        assert [json.loads(e["data"]) if isinstance(w, dict) else e["data"] for e, w in zip(got, want)] == want
        assert all(not e["data"].startswith(("#", "version ")) for e in got)
    [config_event] = by_source[topic]
    assert config_event["sourcetype"] == "aws:config:notification" and json.loads(config_event["data"]) == change
    assert not vendor.drain(feed.dlq_url)
    log = open(str(tmp_path / "var/log/splunk/ta_sqs_s3_audit_aws.log"), encoding="utf-8").read()
    assert "action=unrelated_notification" in log and f"TopicArn={topic}" in log
