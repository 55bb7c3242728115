"""The AWS log formats of issue 13, read line by line: which lines are records, which
are headers, and each record's own time. Samples: tests/fixtures/samples/<type>/
(sources in README-aws-logs.md)."""

from __future__ import annotations

import calendar
import json
import os

import pytest

from sqs_s3_audit_engine.logtypes import cloudfront, config, config_notification, elb, guardduty, vpcflow, waf

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples")


def sample_lines(*parts):
    with open(os.path.join(SAMPLES, *parts), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def utc(y, mo, d, h, mi, s):
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))


# ------------------------------------------------------------------- ELB


def test_every_elb_sample_line_is_recognised_with_its_load_balancer_kind():
    kinds = [elb.line_format(line) for line in sample_lines("elb", "mixed_access.log")]
    assert kinds == ["alb"] * 6 + ["nlb"] * 2 + ["classic"] * 4 + ["alb", "nlb", "alb"]


def test_elb_time_is_the_lines_own_timestamp_for_each_format():
    lines = sample_lines("elb", "mixed_access.log")
    assert elb.line_time(lines[0]) == f"{utc(2018, 7, 2, 22, 23, 0)}.186641"      # ALB http
    assert elb.line_time(lines[3]) == f"{utc(2018, 7, 2, 22, 23, 0)}.186641"      # ALB ws
    assert elb.line_time(lines[6]) == str(utc(2018, 12, 20, 2, 59, 40))           # NLB, no zone: UTC
    assert elb.line_time(lines[8]) == f"{utc(2015, 5, 13, 23, 39, 43)}.945958"    # Classic
    assert elb.line_time(lines[12]) == f"{utc(2022, 5, 12, 6, 41, 29)}.051646"    # -1 timings


def test_elb_lines_with_minus_one_timings_and_quoted_spaces_keep_their_time():
    line = sample_lines("elb", "mixed_access.log")[12]
    assert " -1 -1 -1 301 - " in line and '"Hello, world"' in line
    assert elb.line_time(line) is not None


def test_lines_of_other_logs_are_not_elb():
    s3 = sample_lines("s3_access.log")[0]
    assert not elb.looks_like_elb(s3)
    assert not elb.looks_like_elb("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6")
    assert not elb.looks_like_elb("http is a protocol")
    assert not elb.looks_like_elb("")
    assert elb.line_time("garbage line") is None


@pytest.mark.parametrize("key, expected", [
    ("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2016/05/01/123456789012_elasticloadbalancing_us-east-2_"
     "app.my-loadbalancer.1234567890abcdef_20140215T2340Z_172.160.001.192_20sg8hgm.log.gz", True),
    ("prefix/AWSLogs/123456789012/elasticloadbalancing/us-west-2/2014/02/15/123456789012_elasticloadbalancing_"
     "us-west-2_my-loadbalancer_20140215T2340Z_172.160.001.192_20sg8hgm.log", True),
    ("AWSLogs/123456789012/ELBAccessLogTestFile", False),
    ("AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/x.json.gz", False),
])
def test_elb_key_pattern(key, expected):
    assert bool(elb.KEY_PATTERN.search(key)) is expected


# ------------------------------------------------------------ CloudFront


CF_FILE = "E2EXAMPLE.2019-12-04-21.a1b2c3d4.log"


def test_cloudfront_version_and_fields_lines_are_directives_and_define_the_columns():
    lines = sample_lines("cloudfront", CF_FILE)
    assert [cloudfront.is_directive(x) for x in lines] == [True, True] + [False] * 6
    assert cloudfront.looks_like_cloudfront(lines[0])
    assert cloudfront.header_fields(lines[0]) is None
    assert cloudfront.header_fields(lines[1]) == cloudfront.DEFAULT_FIELDS
    assert len(cloudfront.DEFAULT_FIELDS) == 33


def test_cloudfront_time_comes_from_the_date_and_time_columns():
    lines = sample_lines("cloudfront", CF_FILE)
    reader = cloudfront.CloudFrontTime(cloudfront.header_fields(lines[1]))
    times = [reader(x) for x in lines[2:]]
    assert times[0] == str(utc(2019, 12, 4, 21, 2, 31))
    assert times[3] == str(utc(2019, 12, 13, 22, 36, 27))
    assert times[4] == str(utc(2019, 12, 13, 22, 36, 26))
    assert all(times)


def test_cloudfront_columns_follow_the_files_own_fields_line():
    reader = cloudfront.CloudFrontTime(cloudfront.header_fields("#Fields: x-edge-location time date c-ip"))
    assert reader("LAX1\t21:02:31\t2019-12-04\t192.0.2.100") == str(utc(2019, 12, 4, 21, 2, 31))
    no_time = cloudfront.CloudFrontTime(("c-ip", "sc-status"))
    assert no_time("192.0.2.100\t200") is None


def test_cloudfront_url_encoded_values_are_not_decoded():
    line = sample_lines("cloudfront", CF_FILE)[2]
    assert "Mozilla/5.0%20(Windows%20NT%2010.0;" in line   # the record stays the original line


@pytest.mark.parametrize("key, expected", [
    ("E2EXAMPLE.2019-12-04-21.a1b2c3d4.gz", True),
    ("cf-logs/EMLARXS9EXAMPLE.2019-11-14-20.RT4KCN4SGK9.gz", True),
    ("AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/x.json.gz", False),
    ("reports/summary.2019-12-04.csv.gz", False),
])
def test_cloudfront_key_pattern(key, expected):
    assert bool(cloudfront.KEY_PATTERN.search(key)) is expected


# -------------------------------------------------------------- VPC flow


@pytest.mark.parametrize("name", ["default_v2.log", "custom_v3_tcp_flags.log", "custom_v5_traffic_path.log",
                                  "custom_nat_no_start.log"])
def test_vpc_flow_header_line_is_recognised_and_no_record_is_taken_for_one(name):
    lines = sample_lines("vpcflow", name)
    assert vpcflow.header_fields(lines[0])
    assert all(vpcflow.header_fields(x) is None for x in lines[1:]), name


def test_vpc_flow_default_format_time_is_start():
    lines = sample_lines("vpcflow", "default_v2.log")
    reader = vpcflow.FlowTime(vpcflow.header_fields(lines[0]))
    assert vpcflow.header_fields(lines[0]) == vpcflow.DEFAULT_FIELDS
    assert [reader(x) for x in lines[1:]] == ["1418530010", "1418530010", "1431280876", "1431280876",
                                               "1432917027", "1432917094", "1477913708"]


def test_vpc_flow_nodata_skipdata_and_ipv6_records_keep_their_start():
    lines = sample_lines("vpcflow", "default_v2.log")
    reader = vpcflow.FlowTime()
    nodata = next(x for x in lines if x.endswith("NODATA"))
    skipdata = next(x for x in lines if x.endswith("SKIPDATA"))
    ipv6 = next(x for x in lines if "2001:db8" in x)
    assert reader(nodata) == reader(skipdata) == "1431280876"
    assert reader(ipv6) == "1477913708"


def test_vpc_flow_custom_formats_follow_their_header():
    v3 = sample_lines("vpcflow", "custom_v3_tcp_flags.log")
    reader = vpcflow.FlowTime(vpcflow.header_fields(v3[0]))
    assert reader(v3[1]) == "1566848875"
    assert reader(v3[-1]) == "1566933133"          # the documented record with a double space
    v5 = sample_lines("vpcflow", "custom_v5_traffic_path.log")
    reader = vpcflow.FlowTime(vpcflow.header_fields(v5[0]))
    assert [reader(x) for x in v5[1:]] == ["1616729292", "1616729292"]
    nat = sample_lines("vpcflow", "custom_nat_no_start.log")
    reader = vpcflow.FlowTime(vpcflow.header_fields(nat[0]))
    assert all(reader(x) is None for x in nat[1:])   # no start field: no time of its own


def test_vpc_flow_content_recognition_is_the_header_only():
    assert vpcflow.looks_like_vpcflow(sample_lines("vpcflow", "default_v2.log")[0])
    assert not vpcflow.looks_like_vpcflow(sample_lines("vpcflow", "default_v2.log")[1])
    assert not vpcflow.looks_like_vpcflow("version release notes")
    assert not vpcflow.looks_like_vpcflow(sample_lines("elb", "mixed_access.log")[0])


@pytest.mark.parametrize("key, expected", [
    ("AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_"
     "20180620T1620Z_fe123456.log.gz", True),
    ("my-logs/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/"
     "month=01/day=01/x.log.gz", True),
    ("AWSLogs/123456789012/elasticloadbalancing/us-east-1/x.log.gz", False),
])
def test_vpc_flow_key_pattern(key, expected):
    assert bool(vpcflow.KEY_PATTERN.search(key)) is expected


# ---------------------------------------------------------- JSON types


def sample_json(*parts):
    return [json.loads(x) for x in sample_lines(*parts)]


def test_waf_records_are_recognised_and_timed_in_epoch_milliseconds():
    records = sample_json("waf", "aws-waf-logs.jsonl")
    assert all(waf.is_waf_record(r) for r in records)
    assert waf.record_time(records[0]) == "1576280412.771000"
    assert waf.record_time(records[1]) == "1592357192.516000"
    assert not waf.is_waf_record(sample_json("guardduty", "findings.jsonl")[0])
    assert waf.record_time({"timestamp": "1576280412771"}) is None


def test_guardduty_findings_are_recognised_and_timed_from_updated_at():
    findings = sample_json("guardduty", "findings.jsonl")
    assert all(guardduty.is_finding(f) for f in findings)
    assert guardduty.record_time(findings[0]) == f"{utc(2022, 11, 22, 12, 22, 20)}.934000"
    assert not guardduty.is_finding(sample_json("waf", "aws-waf-logs.jsonl")[0])


def test_config_history_items_are_recognised_and_timed_from_capture_time():
    with open(os.path.join(SAMPLES, "config", "123456789012_Config_us-west-2_ConfigHistory_AWS__EC2__Volume.json"),
              encoding="utf-8") as f:
        doc = json.load(f)
    items = doc[config.STREAM_KEY]
    assert len(items) == 3 and all(config.is_configuration_item(i) for i in items)
    assert [config.item_time(i) for i in items] == [
        f"{utc(2014, 3, 7, 23, 47, 8)}.918000", f"{utc(2014, 3, 7, 21, 47, 8)}.918000",
        f"{utc(2014, 3, 7, 20, 47, 8)}.918000"]


@pytest.mark.parametrize("key, expected", [
    ("AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigHistory/123456789012_Config_us-east-2_ConfigHistory_"
     "AWS::CloudTrail::Trail_20160927T195818Z_20160927T195818Z_1.json.gz", True),
    ("AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigSnapshot/123456789012_Config_us-east-2_ConfigSnapshot_"
     "20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json.gz", True),
    ("AWSLogs/123456789012/CloudTrail/us-east-2/2016/9/27/x.json.gz", False),
])
def test_config_key_pattern(key, expected):
    assert bool(config.KEY_PATTERN.search(key)) is expected


def test_config_writability_check_file_is_told_apart():
    assert config.WRITABILITY_CHECK.search("AWSLogs/123456789012/Config/ConfigWritabilityCheckFile")
    assert not config.WRITABILITY_CHECK.search("AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigHistory/x.json.gz")


def config_message(name):
    with open(os.path.join(SAMPLES, "config", name), encoding="utf-8") as f:
        return json.load(f)["Message"]


def test_config_notification_time_prefers_the_items_capture_time():
    sg = config_message("sns_item_change_security_group.json")
    assert config_notification.is_config_notification(sg)
    assert config_notification.notification_time(sg) == f"{utc(2017, 1, 9, 22, 50, 15)}.156000"
    old = config_message("sns_item_change_volume_2014.json")         # configurationItems list form
    assert config_notification.notification_time(old) == f"{utc(2014, 3, 7, 23, 47, 8)}.918000"
    compliance = config_message("sns_compliance_change.json")
    assert config_notification.notification_time(compliance) == f"{utc(2016, 9, 27, 19, 48, 41)}.405000"
    history = config_message("sns_history_delivery_completed.json")
    assert config_notification.notification_time(history) == f"{utc(2016, 9, 27, 20, 37, 5)}.217000"
    assert not config_notification.is_config_notification({"messageType": "SomethingElse"})
    assert not config.is_configuration_item(sg)


# ------------------------------------------------------- the table's key order

from sqs_s3_audit_engine import logtypes


@pytest.mark.parametrize("key, expected", [
    ("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2016/05/01/x.log.gz", "elb_access"),
    ("logs/E2EXAMPLE.2019-12-04-21.a1b2c3d4.gz", "cloudfront_access"),
    ("AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/x.log.gz", "vpc_flow"),
    ("AWSLogs/123456789012/WAFLogs/us-east-1/acl/2020/06/17/01/30/x.log.gz", "waf"),
    ("AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/30/x.jsonl.gz", "guardduty"),
    ("AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigHistory/x.json.gz", "config"),
    ("AWSLogs/123456789012/Config/us-west-2/2016/10/6/OversizedChangeNotification/AWS::EC2::Instance/i-1/x.json.gz",
     "config_notification"),
    ("AWSLogs/123456789012/Config/ConfigWritabilityCheckFile", "aws_test_file"),
    ("prefix/AWSLogs/123456789012/ELBAccessLogTestFile", "aws_test_file"),
    ("AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/x.json.gz", "cloudtrail"),
])
def test_the_table_names_each_aws_log_by_its_key(key, expected):
    assert logtypes.by_key(key).name == expected


def test_aws_bucket_test_files_are_no_log_and_not_selectable():
    check = logtypes.TABLE["aws_test_file"]
    assert check.whole_object and not check.selectable and "aws_test_file" not in logtypes.names()
