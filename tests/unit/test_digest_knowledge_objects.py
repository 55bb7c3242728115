"""Knowledge objects of aws:cloudtrail:digest: props read the event the validator writes; the
alert and the dashboard panel search fields that event has, through the add-on's macro."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET

import ko_conf
from sqs_s3_audit_engine.integrity import DigestValidator, MemoryState

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT = os.path.join(ROOT, "package", "default")
KEY = ("AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/"
       "111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz")


def digest_event():
    """The event for the first digest of AWS's documented sample layout, listing one unread file."""
    fields = {"awsAccountId": "111122223333", "digestStartTime": "2015-08-17T14:01:31Z",
              "digestEndTime": "2015-08-17T15:01:31Z", "digestS3Bucket": "amzn-s3-demo-bucket", "digestS3Object": KEY,
              "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff", "digestSignatureAlgorithm": "SHA256withRSA",
              "newestEventTime": "2015-08-17T14:52:27Z", "oldestEventTime": "2015-08-17T14:42:27Z",
              "previousDigestS3Bucket": None, "previousDigestS3Object": None, "previousDigestHashValue": None,
              "previousDigestHashAlgorithm": None, "previousDigestSignature": None,
              "logFiles": [{"s3Bucket": "amzn-s3-demo-bucket", "hashAlgorithm": "SHA-256", "hashValue": "0" * 64,
                            "s3Object": "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/x.json.gz"}]}
    validator = DigestValidator(state=MemoryState(), public_keys=None, grace=0, shared=True)
    return validator.accept(bucket="amzn-s3-demo-bucket", key=KEY, raw=json.dumps(fields).encode(),
                            metadata={"signature": "00", "signature-algorithm": "SHA256withRSA"})


def test_props_parse_the_time_the_input_writes_and_the_fields_are_json():
    when, raw = digest_event()
    stanza = ko_conf.KnowledgeObjects().props["aws:cloudtrail:digest"]
    assert ko_conf.extract_time(stanza, raw) == when == 1439823691.0
    assert stanza["KV_MODE"] == "json" and stanza["SHOULD_LINEMERGE"] == "false"
    event = json.loads(raw)
    assert event["result"] == "fail" and event["files_missing"] == 1 and event["signature"] == "not_checked"


def test_the_alert_is_disabled_scheduled_and_searches_the_macro_for_failures():
    searches = ko_conf.load_conf("savedsearches.conf")
    [alert] = [s for name, s in searches.items() if name == "CloudTrail log file integrity failure"]
    assert alert["disabled"] == "1" and alert["enableSched"] == "1" and alert["cron_schedule"] == "7 * * * *"
    assert alert["search"].startswith("`sqs_s3_audit_digests` result=fail")
    assert "sqs_s3_audit_digests" in ko_conf.load_conf("macros.conf")
    fields = set(json.loads(digest_event()[1]))
    used = {"files_missing", "files_modified", "signature", "signature_reason", "chain", "account", "region", "trail"}
    assert used <= fields


def test_the_dashboard_panel_sums_fields_the_event_has():
    root = ET.parse(os.path.join(DEFAULT, "data", "ui", "views", "sqs_s3_audit_health.xml")).getroot()
    [query] = [p.find(".//query").text for p in root.iter("panel") if "CloudTrail integrity" in p.findtext("title")]
    fields = set(json.loads(digest_event()[1]))
    for name in re.findall(r"sum\((\w+)\)", query) + re.findall(r'(\w+)=="', query):
        assert name in fields, name
    assert "by trail account region" in query
