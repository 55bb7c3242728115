"""The log-type table: one module per type, detection in one order, everything else derived."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys

import pytest

from sqs_s3_audit_engine import logtypes
from sqs_s3_audit_engine.config import LOG_TYPES, parse_input
from sqs_s3_audit_engine.decoders import Item
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.events import ObjectEvents

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/q"

# AWS CloudTrail user guide, "CloudTrail record contents" / older documentation examples:
# an eventVersion 1.0 record has no eventID and no eventType.
CLOUDTRAIL_V10 = {
    "eventVersion": "1.0",
    "userIdentity": {"type": "IAMUser", "principalId": "EX_PRINCIPAL_ID", "arn": "arn:aws:iam::123456789012:user/Alice",
                     "accessKeyId": "EXAMPLE_KEY_ID", "accountId": "123456789012", "userName": "Alice"},
    "eventTime": "2014-03-06T21:22:54Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "StartInstances",
    "awsRegion": "us-east-2",
    "sourceIPAddress": "205.251.233.176",
    "userAgent": "ec2-api-tools 1.6.12.2",
    "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-ebeaf9e2"}]}},
    "responseElements": {"instancesSet": {"items": [{"instanceId": "i-ebeaf9e2",
                                                      "currentState": {"code": 0, "name": "pending"},
                                                      "previousState": {"code": 80, "name": "stopped"}}]}},
}


def test_every_type_module_defines_its_log_type_and_is_in_the_detection_order():
    folder = os.path.dirname(logtypes.__file__)
    modules = sorted(name[:-3] for name in os.listdir(folder) if name.endswith(".py") and name != "__init__.py")
    in_order = {lt.name for lt in logtypes.DETECTION_ORDER}
    for module in modules:
        text = open(os.path.join(folder, module + ".py"), encoding="utf-8").read()
        assert "LOG_TYPE = LogType(" in text, module
    assert len(modules) == len(logtypes.DETECTION_ORDER) == len(in_order)
    assert logtypes.DETECTION_ORDER[-2:] == (logtypes.TABLE["json"], logtypes.TABLE["text"])


def test_log_type_values_of_the_input_come_from_the_table():
    assert LOG_TYPES == ("auto",) + logtypes.names()
    assert "cloudtrail_digest" not in LOG_TYPES  # not selectable: never written as events
    for name in LOG_TYPES:
        assert parse_input("x", {"account": "a", "sqs_queue_url": QUEUE, "log_type": name}).log_type == name
    with pytest.raises(ConfigError) as err:
        parse_input("x", {"account": "a", "sqs_queue_url": QUEUE, "log_type": "cloudtrail_digest"})
    assert err.value.parameter == "log_type"


def test_global_config_log_type_choices_agree_with_the_table():
    run = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "sync_log_types.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    config = json.load(open(os.path.join(ROOT, "globalConfig.json"), encoding="utf-8"))
    values = [c["value"] for s in config["pages"]["inputs"]["services"] for e in s["entity"]
              if e["field"] == "log_type" for c in e["options"]["autoCompleteFields"]]
    assert tuple(values) == LOG_TYPES


def test_readme_names_every_log_type_and_every_vendor_sourcetype_has_a_doc_page():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    for name in logtypes.names():
        assert f"`{name}`" in readme, name
    pages = os.listdir(os.path.join(ROOT, "docs", "sourcetypes"))
    for lt in logtypes.DETECTION_ORDER:
        if lt.sourcetype.startswith("sqs_s3_audit:"):
            continue  # generic JSON and text: no fields of their own
        page = re.sub(r"[^a-z0-9]+", "_", lt.sourcetype.lower()).strip("_") + ".md"
        assert page in pages or any(lt.sourcetype in open(os.path.join(ROOT, "docs", "sourcetypes", p),
                                                          encoding="utf-8").read() for p in pages), lt.sourcetype


@pytest.mark.parametrize("key,expected", [
    ("AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/123456789012_CloudTrail_us-east-1_20240102T0000Z_a.json.gz",
     "cloudtrail"),
    ("org/AWSLogs/o-exampleorgid/111122223333/CloudTrail/eu-west-1/2024/01/02/x.json.gz", "cloudtrail"),
    ("AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2024/01/02/x.json.gz", "cloudtrail"),
    ("AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/01/02/x.json.gz", "cloudtrail_digest"),
    ("iru/activity/2025/03/04/16.jsonl.gz", None),
])
def test_types_known_by_key(key, expected):
    found = logtypes.by_key(key)
    assert (found.name if found else None) == expected


def _gz(value) -> io.BytesIO:
    return io.BytesIO(gzip.compress(json.dumps(value).encode()))


def test_cloudtrail_event_version_1_0_records_are_cloudtrail_in_a_records_array_or_under_a_cloudtrail_key():
    events = ObjectEvents(_gz({"Records": [CLOUDTRAIL_V10]}), bucket="b", key="plain/name.json.gz")
    got = list(events)
    assert events.sourcetype == "aws:cloudtrail" and got[0][0] == "1394140974"
    assert json.loads(got[0][1]) == CLOUDTRAIL_V10
    key = "AWSLogs/123456789012/CloudTrail/us-east-2/2014/03/06/123456789012_CloudTrail_us-east-2_20140306T2120Z_x.json.gz"
    events = ObjectEvents(io.BytesIO(json.dumps(CLOUDTRAIL_V10).encode()), bucket="b", key=key)
    assert [json.loads(d) for _, d in events] == [CLOUDTRAIL_V10] and events.sourcetype == "aws:cloudtrail"
    # the same record alone, under a key that says nothing, stays generic JSON
    events = ObjectEvents(io.BytesIO(json.dumps(CLOUDTRAIL_V10).encode()), bucket="b", key="x.json")
    list(events)
    assert events.sourcetype == "sqs_s3_audit:json"


def test_a_digest_is_no_events_whether_known_by_key_or_by_content():
    digest = {"awsAccountId": "123456789012", "digestStartTime": "2024-01-02T00:00:00Z",
              "digestEndTime": "2024-01-02T01:00:00Z", "logFiles": []}
    for key, log_type in (("AWSLogs/1/CloudTrail-Digest/x.json.gz", "auto"), ("odd/place.json.gz", "auto"),
                          ("odd/place.json.gz", "cloudtrail"), ("odd/place.json.gz", "json")):
        events = ObjectEvents(_gz(digest), bucket="b", key=key, log_type=log_type)
        assert list(events) == [] and events.whole_object, (key, log_type)


def test_positions_count_bad_records_and_resume_after_start():
    body = b'{"a":1}\nnot json\n{"a":2}\n{"a":3}\n'
    bad = []
    events = ObjectEvents(io.BytesIO(body), bucket="b", key="k", on_bad=lambda p, r: bad.append((p, r.reason)))
    assert [d for _, d in events] == ['{"a":1}', '{"a":2}', '{"a":3}'] and events.position == 4
    assert bad == [(1, "invalid_json")]
    bad.clear()
    events = ObjectEvents(io.BytesIO(body), bucket="b", key="k", start=2, on_bad=lambda p, _r: bad.append(p))
    assert [d for _, d in events] == ['{"a":2}', '{"a":3}'] and bad == []


def test_a_header_line_is_a_position_but_no_event():
    def reader():
        def read(item):
            return logtypes.NOT_EVENT if item.value.startswith("#") else "5"
        return read

    header_type = logtypes.LogType(name="hdr", sourcetype="x:hdr", title="t", decoder="lines", new_reader=reader)
    logtypes.TABLE["hdr"] = header_type
    try:
        events = ObjectEvents(io.BytesIO(b"#Fields: a b\nl1\nl2\n"), bucket="b", key="k", log_type="hdr", start=2)
        assert list(events) == [("5", "l2")] and events.position == 3
    finally:
        del logtypes.TABLE["hdr"]


def test_by_record_falls_back_to_generic_types():
    assert logtypes.by_record(Item([1, 2], "[1,2]", "")).name == "json"
    assert logtypes.by_record(Item("some line", "some line", "line")).name == "text"


# -- issue 19, finding 7: content that only looks like a digest --------------------------------------
def test_json_lines_whose_first_record_looks_like_a_digest_are_records_not_a_digest():
    import io
    import json as _json

    from sqs_s3_audit_engine.events import ObjectEvents

    first = {"eventID": "r-0", "digestStartTime": "2025-03-04T16:00:00Z", "digestEndTime": "2025-03-04T17:00:00Z"}
    records = [first] + [{"eventID": f"r-{n}", "eventTime": "2025-03-04T16:30:00Z"} for n in range(1, 50)]
    body = "".join(_json.dumps(r) + "\n" for r in records).encode()
    for keep_whole in (True, False):
        events = ObjectEvents(io.BytesIO(body), bucket="b", key="logs/app.jsonl", keep_whole=keep_whole)
        written = [_json.loads(data)["eventID"] for _time, data in events]
        assert written == [r["eventID"] for r in records] and not events.whole_object
    # A real digest shape (one JSON value) is still a whole object.
    events = ObjectEvents(io.BytesIO(_json.dumps(first).encode()), bucket="b", key="logs/d.json", keep_whole=True)
    assert list(events) == [] and events.whole_object
