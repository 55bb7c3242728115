"""The AWS logs of issue 13 through the emulator: every type x every notification form,
Config through its SNS topic, and one queue carrying every type at once.

Real boto3 calls over HTTP to moto server; the engine's Collector writes into a collecting
sink. Bodies are the documented sample lines of tests/fixtures/samples/<type>/ (sources in
README-aws-logs.md), gzipped where AWS gzips them.
"""

from __future__ import annotations

import calendar
import gzip
import itertools
import json
import os
import time

import pytest

from harness import CollectingSink, drained, make_collector, run_until

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples")
_counter = itertools.count()


def unique(name: str) -> str:
    return f"{name}-{next(_counter)}-{int(time.time() * 1000) % 100000}"


def read(*parts) -> bytes:
    with open(os.path.join(SAMPLES, *parts), "rb") as f:
        return f.read()


def lines(*parts):
    return [x for x in read(*parts).decode("utf-8").split("\n") if x.strip()]


def iso(text: str) -> float:
    whole, _, frac = text.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + (int(frac) / 10 ** len(frac) if frac else 0)


def elb_time(line: str) -> float:
    head = line.split(" ", 3)
    return iso(head[1] if head[0] in ("http", "https", "h2", "ws", "wss") else head[2] if head[0] == "tls" else head[0])


def vpc_expected(name):
    rows = lines("vpcflow", name)
    fields = rows[0].split()
    start = fields.index("start") if "start" in fields else None
    return [("aws:cloudwatchlogs:vpcflow", float(r.split()[start]) if start is not None else None, r) for r in rows[1:]]


def config_items(name):
    doc = json.loads(read("config", name))
    return [("aws:config", iso(i["configurationItemCaptureTime"]), i) for i in doc["configurationItems"]]


CF_NAME = "E2EXAMPLE.2019-12-04-21.a1b2c3d4.log"
HISTORY = "123456789012_Config_us-west-2_ConfigHistory_AWS__EC2__Volume.json"
SNAPSHOT = "123456789012_Config_us-east-2_ConfigSnapshot_20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json"
ACCT = "123456789012"


def types():
    """(name, AWS key, other key, body, expected [(sourcetype, time or None, record or line)])."""
    elb = lines("elb", "mixed_access.log")
    cf = lines("cloudfront", CF_NAME)
    waf = [json.loads(x) for x in lines("waf", "aws-waf-logs.jsonl")]
    gd = [json.loads(x) for x in lines("guardduty", "findings.jsonl")]
    return [
        ("elb", f"AWSLogs/{ACCT}/elasticloadbalancing/us-east-2/2016/05/01/{ACCT}_elasticloadbalancing_us-east-2_"
                "app.my-loadbalancer.1234567890abcdef_20140215T2340Z_172.160.001.192_20sg8hgm.log.gz",
         "lb/mixed.log.gz", gzip.compress(read("elb", "mixed_access.log")),
         [("aws:elb:accesslogs", elb_time(x), x) for x in elb]),
        ("cloudfront", f"cf-logs/{CF_NAME[:-4]}.gz", "web/cloudfront-export.gz", gzip.compress(read("cloudfront", CF_NAME)),
         [("aws:cloudfront:accesslogs", iso(f"{x.split(chr(9))[0]}T{x.split(chr(9))[1]}"), x) for x in cf[2:]]),
        ("vpc_v2", f"AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2018/06/20/{ACCT}_vpcflowlogs_us-east-1_fl-1234abcd_"
                   "20180620T1620Z_fe123456.log.gz", "flows/v2.log.gz", gzip.compress(read("vpcflow", "default_v2.log")),
         vpc_expected("default_v2.log")),
        ("vpc_v3", f"AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2019/08/26/{ACCT}_vpcflowlogs_us-east-1_fl-5678efgh_"
                   "20190826T1945Z_ab123456.log.gz", "flows/v3.log.gz",
         gzip.compress(read("vpcflow", "custom_v3_tcp_flags.log")), vpc_expected("custom_v3_tcp_flags.log")),
        ("vpc_v5", f"AWSLogs/aws-account-id={ACCT}/aws-service=vpcflowlogs/aws-region=ap-southeast-2/year=2021/"
                   "month=03/day=26/x.log.gz", "flows/v5.log.gz",
         gzip.compress(read("vpcflow", "custom_v5_traffic_path.log")), vpc_expected("custom_v5_traffic_path.log")),
        ("vpc_nat", f"AWSLogs/{ACCT}/vpcflowlogs/us-east-1/2021/01/01/{ACCT}_vpcflowlogs_us-east-1_fl-nat_"
                    "20210101T0000Z_cd123456.log.gz", "flows/nat.log.gz",
         gzip.compress(read("vpcflow", "custom_nat_no_start.log")), vpc_expected("custom_nat_no_start.log")),
        ("waf", f"AWSLogs/{ACCT}/WAFLogs/us-east-1/hello-world/2020/06/17/01/30/{ACCT}_waflogs_us-east-1_hello-world_"
                "20200617T0130Z_e0ca43b5.log.gz", "waf/requests.jsonl.gz", gzip.compress(read("waf", "aws-waf-logs.jsonl")),
         [("aws:waf", r["timestamp"] / 1000, r) for r in waf]),
        ("guardduty", f"AWSLogs/{ACCT}/GuardDuty/us-east-1/2024/05/30/07a3f2ce-1485-3031-b842-e1f324c4a48d.jsonl.gz",
         "gd/findings.jsonl.gz", gzip.compress(read("guardduty", "findings.jsonl")),
         [("aws:cloudwatch:guardduty", iso(r["updatedAt"]), r) for r in gd]),
        ("config_history", f"AWSLogs/{ACCT}/Config/us-west-2/2014/3/7/ConfigHistory/{ACCT}_Config_us-west-2_ConfigHistory_"
                           "AWS::EC2::Volume_20140307T200000Z_20140307T235959Z_1.json.gz", "cfg/history.json.gz",
         gzip.compress(read("config", HISTORY)), config_items(HISTORY)),
        ("config_snapshot", f"AWSLogs/{ACCT}/Config/us-east-2/2016/9/27/ConfigSnapshot/{SNAPSHOT}.gz", "cfg/snap.json.gz",
         gzip.compress(json.dumps(json.loads(read("config", SNAPSHOT)), separators=(",", ":")).encode()),
         config_items(SNAPSHOT)),
    ]


TYPES = types()


def check(sink: CollectingSink, bucket: str, key: str, expected) -> None:
    got = sink.by_source().get(f"s3://{bucket}/{key}", [])
    assert len(got) == len(expected), f"{key}: {len(got)} events, expected {len(expected)}"
    for (st, t, data), (est, et, erec) in zip(got, expected):
        assert st == est, key
        if et is not None:
            assert float(t) == pytest.approx(et, abs=1e-6), (key, data[:80])
        assert not data.startswith("#") and not data.startswith("version "), f"header line as an event: {data}"
        if isinstance(erec, str):
            assert data == erec
        else:
            assert json.loads(data) == erec and "\n" not in data


@pytest.mark.parametrize("via", ["direct", "sns", "sns_raw"])
@pytest.mark.parametrize("kind", TYPES, ids=[t[0] for t in TYPES])
def test_each_aws_log_type_is_collected_by_key_and_by_content_exactly_once(vendor, moto_server, tmp_path, via, kind):
    name, aws_key, other_key, body, expected = kind
    feed = vendor.create_feed(unique("bkt"), unique("q"), via_sns=via != "direct", raw_delivery=via == "sns_raw")
    for key in (aws_key, other_key):
        vendor.put_object(feed.bucket, key, body)
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
    run_until(collector, drained(vendor, feed.queue_url))
    for key in (aws_key, other_key):
        check(sink, feed.bucket, key, expected)
    assert len(sink.events) == 2 * len(expected)
    assert not vendor.drain(feed.dlq_url)


def config_topic(vendor, feed):
    topic = vendor.sns.create_topic(Name=unique("config-topic"))["TopicArn"]
    vendor.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=feed.queue_arn)
    return topic


def publish(vendor, topic, name, **changes):
    with open(os.path.join(SAMPLES, "config", name), encoding="utf-8") as f:
        doc = json.load(f)
    message = doc["Message"]
    message.update(changes)
    vendor.sns.publish(TopicArn=topic, Message=json.dumps(message), Subject=doc.get("Subject", "AWS Config"))
    return message


def test_config_notifications_through_sns_read_named_files_and_write_item_changes(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(unique("cfg"), unique("cfgq"), notify=False)
    topic = config_topic(vendor, feed)
    history_key = f"AWSLogs/{ACCT}/Config/us-east-2/2016/9/27/ConfigHistory/{ACCT}_Config_us-east-2_ConfigHistory_x_1.json.gz"
    snapshot_key = f"AWSLogs/{ACCT}/Config/us-east-2/2016/9/27/ConfigSnapshot/{SNAPSHOT}.gz"
    oversized_key = (f"AWSLogs/{ACCT}/Config/us-west-2/2016/10/6/OversizedChangeNotification/AWS::EC2::Instance/i-1/"
                     f"{ACCT}_Config_us-west-2_ChangeNotification_AWS::EC2::Instance_i-1_20161006T164616Z_0.json.gz")
    vendor.put_object(feed.bucket, history_key, gzip.compress(read("config", HISTORY)))
    vendor.put_object(feed.bucket, snapshot_key, gzip.compress(read("config", SNAPSHOT)))
    change = json.loads(read("config", "sns_item_change_security_group.json"))["Message"]
    vendor.put_object(feed.bucket, oversized_key, gzip.compress(json.dumps(change).encode()))
    publish(vendor, topic, "sns_history_delivery_completed.json", s3Bucket=feed.bucket, s3ObjectKey=history_key)
    publish(vendor, topic, "sns_snapshot_delivery_completed.json", s3Bucket=feed.bucket, s3ObjectKey=snapshot_key)
    publish(vendor, topic, "sns_oversized_item_change.json",
            s3DeliverySummary={"s3BucketLocation": f"{feed.bucket}/{oversized_key}", "errorCode": None, "errorMessage": None})
    inline = [publish(vendor, topic, n) for n in ("sns_item_change_security_group.json", "sns_item_change_volume_2014.json",
                                                   "sns_compliance_change.json")]
    vendor.sns.publish(TopicArn=topic, Message="CPU above 90% on web-1", Subject="ALARM: high-cpu")
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
    run_until(collector, drained(vendor, feed.queue_url))
    check(sink, feed.bucket, history_key, config_items(HISTORY))
    check(sink, feed.bucket, snapshot_key, config_items(SNAPSHOT))
    check(sink, feed.bucket, oversized_key,
          [("aws:config:notification", iso(change["configurationItem"]["configurationItemCaptureTime"]), change)])
    written = sink.by_source().get(topic, [])
    assert [st for st, _, _ in written] == ["aws:config:notification"] * 3
    assert sorted(json.loads(d)["messageType"] for _, _, d in written) == sorted(m["messageType"] for m in inline)
    times = {json.loads(d)["messageType"] + str(len(d)): float(t) for _, t, d in written}
    assert iso("2017-01-09T22:50:15.156Z") in times.values() and iso("2016-09-27T19:48:41.405Z") in times.values()
    assert len(sink.events) == 3 + 1 + 1 + 3
    # The alarm from the shared topic was deleted, not sent to the dead-letter queue, and the
    # admin is told which topic sends it.
    assert not vendor.drain(feed.dlq_url)
    assert collector.metrics.total["unrelated_notifications"] == 1
    warning = [x for x in collector.log_lines if x.startswith("WARNING") and "unrelated_notification" in x]
    assert len(warning) == 1 and f"TopicArn={topic}" in warning[0] and "ALARM: high-cpu" in warning[0]


def test_a_redelivered_config_item_change_is_written_once(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(unique("cfg"), unique("cfgq"), notify=False)
    doc = json.loads(read("config", "sns_item_change_security_group.json"))
    doc["Message"] = json.dumps(doc["Message"])
    sink = CollectingSink()
    for _ in range(2):  # the same SNS message twice (a lost delete, a second subscription)
        vendor.send(feed.queue_url, json.dumps(doc))
        collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
        run_until(collector, drained(vendor, feed.queue_url))
    assert [(s, st) for s, st, _, _ in sink.events] == [(doc["TopicArn"], "aws:config:notification")]
    assert collector.metrics.total["objects_already_done"] == 1


def test_cloudtrail_records_of_event_version_1_0_are_cloudtrail_anywhere(vendor, moto_server, tmp_path):
    name = "123456789012_CloudTrail_us-east-2_20140325T2110Z_v1EXAMPLE0000001.json"
    records = json.loads(read("cloudtrail_v1", name))["Records"]
    assert all(r["eventVersion"] == "1.0" and "eventID" not in r and "eventType" not in r for r in records)
    feed = vendor.create_feed(unique("ct1"), unique("ct1q"))
    keys = [f"AWSLogs/{ACCT}/CloudTrail/us-east-2/2014/03/25/{name}.gz", "exports/trail-2014.json.gz"]
    for key in keys:
        vendor.put_object(feed.bucket, key, gzip.compress(read("cloudtrail_v1", name)))
    # One record of them alone, outside a Records array, under a CloudTrail key.
    single = f"AWSLogs/{ACCT}/CloudTrail/us-east-2/2014/03/24/single.json"
    vendor.put_object(feed.bucket, single, json.dumps(records[1]).encode())
    sink = CollectingSink()
    run_until(make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink), drained(vendor, feed.queue_url))
    for key in keys:
        check(sink, feed.bucket, key, [("aws:cloudtrail", iso(r["eventTime"]), r) for r in records])
    check(sink, feed.bucket, single, [("aws:cloudtrail", iso(records[1]["eventTime"]), records[1])])


def test_one_queue_carrying_every_aws_log_type_at_once_drains_exactly_once(vendor, moto_server, tmp_path):
    """Every type by key and by content, direct and through SNS, plus Config's topic and an
    unrelated alarm, on one queue: each record written once, right sourcetype, no header line."""
    feed = vendor.create_feed(unique("every"), unique("every"), via_sns=True, visibility_timeout=5)
    topic = config_topic(vendor, feed)
    expected = {}
    for _name, aws_key, other_key, body, records in TYPES:
        for key in (aws_key, other_key):
            vendor.put_object(feed.bucket, key, body)
            expected[key] = records
    inline = [publish(vendor, topic, n) for n in ("sns_item_change_security_group.json", "sns_compliance_change.json")]
    vendor.sns.publish(TopicArn=topic, Message=json.dumps({"AlarmName": "disk", "NewStateValue": "ALARM"}),
                       Subject="ALARM: disk")
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink, max_workers="4")
    run_until(collector, drained(vendor, feed.queue_url), timeout=120)
    for key, records in expected.items():
        check(sink, feed.bucket, key, records)
    assert len(sink.by_source()[topic]) == len(inline)
    assert len(sink.events) == sum(len(r) for r in expected.values()) + len(inline)
    sourcetypes = {st for _, st, _, _ in sink.events}
    assert sourcetypes == {"aws:elb:accesslogs", "aws:cloudfront:accesslogs", "aws:cloudwatchlogs:vpcflow", "aws:waf",
                           "aws:cloudwatch:guardduty", "aws:config", "aws:config:notification"}
    assert not vendor.drain(feed.dlq_url)


def test_aws_bucket_test_files_are_skipped_not_written_nor_dead_lettered(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(unique("chk"), unique("chkq"))
    vendor.put_object(feed.bucket, f"AWSLogs/{ACCT}/Config/ConfigWritabilityCheckFile", b"")
    vendor.put_object(feed.bucket, f"logs/AWSLogs/{ACCT}/ELBAccessLogTestFile", b"Enable AccessLog for ELB: my-lb\n")
    sink = CollectingSink()
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), sink)
    run_until(collector, drained(vendor, feed.queue_url))
    assert sink.events == [] and not vendor.drain(feed.dlq_url)
    assert sum("log_type=aws_test_file" in x for x in collector.log_lines) == 2
