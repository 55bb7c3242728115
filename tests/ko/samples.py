"""The documented sample records in tests/fixtures/samples/ (sources named in
README-aws-logs.md and beside each file), rendered as the modular input writes them:
(sample file, sourcetype, _raw, time). JSON records become compact JSON, text log
lines stay as they are; header lines (CloudFront #Version/#Fields, the VPC flow log
field list) are never events.
"""

import datetime as _dt
import json
import os
import re

from .conf import SAMPLES_DIR



def _compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _iso_epoch(value):
    value = value.replace("Z", "+00:00")
    return _dt.datetime.fromisoformat(value).timestamp()


def render_samples():
    """Events as the modular input writes them: (sample file, sourcetype, _raw, time)."""
    events = []

    def path(name):
        return os.path.join(SAMPLES_DIR, name)

    for name in ("cloudtrail_management.json", "cloudtrail_insight.json"):
        with open(path(name), encoding="utf-8") as f:
            for rec in json.load(f)["Records"]:
                events.append((name, "aws:cloudtrail", _compact(rec), _iso_epoch(rec["eventTime"])))
    with open(path("iru_activity.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                events.append(("iru_activity.jsonl", "iru:endpoint:activity", _compact(rec),
                               _iso_epoch(rec["occurred_at"])))
    events.extend(render_otlp("thrive_otlp_logs.json"))
    with open(path("thrive_otel_flat.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                events.append(("thrive_otel_flat.jsonl", "thrive:audit", _compact(rec),
                               int(rec["timeUnixNano"]) / 1e9))
    with open(path("s3_access.log"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                stamp = re.search(r"\[([^\]]+)\]", line).group(1)
                t = _dt.datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z").timestamp()
                events.append(("s3_access.log", "aws:s3:accesslogs", line, t))
    for name in os.listdir(path("cloudtrail_v1")):
        with open(path(os.path.join("cloudtrail_v1", name)), encoding="utf-8") as f:
            for rec in json.load(f)["Records"]:
                events.append((f"cloudtrail_v1/{name}", "aws:cloudtrail", _compact(rec), _iso_epoch(rec["eventTime"])))
    events.extend(render_aws_log_samples())
    events.extend(render_crowdstrike_samples())
    events.extend(render_other_project_samples())
    return events


# AWS logs of issue 13: tests/fixtures/samples/<type>/ (sources in README-aws-logs.md).
# Header lines (CloudFront #Version/#Fields, the VPC flow log header) are not events.
# Only default-format VPC flow records are rendered here: the props timestamp and
# field extraction cover the default format (custom formats: see the doc page).
CONFIG_FILES = ("123456789012_Config_us-west-2_ConfigHistory_AWS__EC2__Volume.json",
                "123456789012_Config_us-east-2_ConfigSnapshot_20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json")
CONFIG_EVENT_MESSAGES = ("sns_item_change_security_group.json", "sns_item_change_volume_2014.json",
                         "sns_compliance_change.json")


def _utc(text):
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=_dt.timezone.utc).timestamp()


def render_aws_log_samples():
    events = []

    def lines(*parts):
        with open(os.path.join(SAMPLES_DIR, *parts), encoding="utf-8") as f:
            return [x.rstrip("\n") for x in f if x.strip()]

    for line in lines("elb", "mixed_access.log"):
        head = line.split(" ", 3)
        stamp = head[1] if head[0] in ("http", "https", "h2", "grpcs", "ws", "wss") else head[2] if head[0] == "tls" else head[0]
        whole, _, frac = stamp.rstrip("Z").partition(".")
        events.append(("elb/mixed_access.log", "aws:elb:accesslogs", line,
                       _utc(whole) + (int(frac) / 10 ** len(frac) if frac else 0)))
    for line in lines("cloudfront", "E2EXAMPLE.2019-12-04-21.a1b2c3d4.log"):
        if not line.startswith("#"):
            cols = line.split("\t")
            events.append(("cloudfront/E2EXAMPLE.2019-12-04-21.a1b2c3d4.log", "aws:cloudfront:accesslogs", line,
                           _utc(f"{cols[0]}T{cols[1]}")))
    for line in lines("vpcflow", "default_v2.log")[1:]:
        events.append(("vpcflow/default_v2.log", "aws:cloudwatchlogs:vpcflow", line, float(line.split()[10])))
    for line in lines("waf", "aws-waf-logs.jsonl"):
        rec = json.loads(line)
        events.append(("waf/aws-waf-logs.jsonl", "aws:waf", _compact(rec), rec["timestamp"] / 1000))
    for line in lines("guardduty", "findings.jsonl"):
        rec = json.loads(line)
        events.append(("guardduty/findings.jsonl", "aws:cloudwatch:guardduty", _compact(rec), _iso_epoch(rec["updatedAt"])))
    for name in CONFIG_FILES:
        with open(os.path.join(SAMPLES_DIR, "config", name), encoding="utf-8") as f:
            for item in json.load(f)["configurationItems"]:
                events.append((f"config/{name}", "aws:config", _compact(item),
                               _iso_epoch(item["configurationItemCaptureTime"])))
    for name in CONFIG_EVENT_MESSAGES:
        with open(os.path.join(SAMPLES_DIR, "config", name), encoding="utf-8") as f:
            msg = json.load(f)["Message"]
        item = msg.get("configurationItem") or (msg.get("configurationItems") or [None])[0]
        when = item["configurationItemCaptureTime"] if item else msg["newEvaluationResult"]["resultRecordedTime"]
        events.append((f"config/{name}", "aws:config:notification", _compact(msg), _iso_epoch(when)))
    with open(os.path.join(SAMPLES_DIR, "iru_admin", "activity_with_admin.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                events.append(("iru_admin/activity_with_admin.jsonl", "iru:endpoint:activity", _compact(rec),
                               _iso_epoch(rec["occurred_at"])))
    return events


# CrowdStrike FDR (issue 22): Elastic's published FDR test lines, and two logon records
# written for the tests (no published sample exists; README-crowdstrike-fdr.md). Of
# aidmaster.jsonl only the records whose `Time` has three fraction digits: two have two
# ("1697992701.85"), which the input reads exactly but a TIME_FORMAT of %s.%3N is not
# documented to (Splunk does not use the props time of a modular input's events: the input
# writes each event's time itself).
CROWDSTRIKE_FILES = (("data_sensor.jsonl", "crowdstrike:events:sensor", "timestamp", 1000.0),
                     ("logon_written_for_tests.jsonl", "crowdstrike:events:sensor", "timestamp", 1000.0),
                     ("aidmaster.jsonl", "crowdstrike:inventory:aidmaster", "Time", 1.0),
                     ("userinfo.jsonl", "crowdstrike:inventory:userinfo", "_time", 1.0),
                     ("notmanaged.jsonl", "crowdstrike:inventory:notmanaged", "_time", 1.0))


def render_crowdstrike_samples():
    events = []
    for name, sourcetype, field, scale in CROWDSTRIKE_FILES:
        with open(os.path.join(SAMPLES_DIR, "crowdstrike_fdr", name), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    if field == "Time" and len(rec[field].partition(".")[2]) != 3:
                        continue
                    events.append((f"crowdstrike_fdr/{name}", sourcetype, _compact(rec), float(rec[field]) / scale))
    return events


def render_otlp(name):
    """OTLP/JSON log records with their resource and scope, as the input writes them."""
    with open(os.path.join(SAMPLES_DIR, name), encoding="utf-8") as f:
        doc = json.load(f)
    events = []
    for rl in doc["resourceLogs"]:
        for sl in rl["scopeLogs"]:
            for lr in sl["logRecords"]:
                rec = dict(lr)
                rec["resource"] = rl.get("resource", {})
                rec["scope"] = sl.get("scope", {})
                events.append((name, "thrive:audit", _compact(rec), int(lr["timeUnixNano"]) / 1e9))
    return events


# Lines published by AWS elsewhere and by other projects' test fixtures:
# tests/fixtures/samples/other_projects/ (sources in README-aws-logs.md).
OTHER_PROJECT_FILES = (
    ("elastic_s3_server_access.log", "aws:s3:accesslogs"),
    ("kdgm_s3_access.log", "aws:s3:accesslogs"),
    ("elastic_elb.log", "aws:elb:accesslogs"),
    ("elastic_cloudfront.log", "aws:cloudfront:accesslogs"),
    ("elastic_cloudtrail.jsonl", "aws:cloudtrail"),
    ("aws_cloudtrail_service_events.jsonl", "aws:cloudtrail"),
    ("dpetzold_elb.log", "aws:elb:accesslogs"),
    ("dpetzold_cloudfront.log", "aws:cloudfront:accesslogs"),
    ("elastic_iru_audit.jsonl", "iru:endpoint:activity"),
)


def _line_time(sourcetype, line):
    if sourcetype == "aws:s3:accesslogs":
        stamp = re.search(r"\[([^\]]+)\]", line).group(1)
        return _dt.datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z").timestamp()
    if sourcetype == "aws:cloudfront:accesslogs":
        cols = line.split("\t")
        return _utc(f"{cols[0]}T{cols[1]}")
    if sourcetype == "aws:elb:accesslogs":
        m = re.search(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?", line)
        frac = m.group(2) or ""
        return _utc(m.group(1)) + (int(frac) / 10 ** len(frac) if frac else 0)
    rec = json.loads(line)
    return _iso_epoch(rec["eventTime"] if "eventTime" in rec else rec["occurred_at"])


def render_other_project_samples():
    events = []
    for name, sourcetype in OTHER_PROJECT_FILES:
        with open(os.path.join(SAMPLES_DIR, "other_projects", name), encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                raw = _compact(json.loads(line)) if name.endswith(".jsonl") else line
                events.append((f"other_projects/{name}", sourcetype, raw, _line_time(sourcetype, line)))
    # OpenTelemetry's own OTLP/JSON example (the format Thrive says it writes)
    events.extend(render_otlp(os.path.join("other_projects", "otel_proto_logs.json")))
    return events
