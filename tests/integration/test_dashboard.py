"""The health dashboard's searches use fields and actions the input's logs really carry."""

from __future__ import annotations

import glob
import os
import re
import time
import xml.etree.ElementTree as ET

import sample_logs as samples
from harness import CollectingSink, drained, make_collector, run_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIEW = os.path.join(ROOT, "package", "default", "data", "ui", "views", "sqs_s3_audit_health.xml")
COMPUTED = {"input", "_time", "mb", "last_seen", "last_written"}
FUNCTION_ARG = re.compile(r"\b(?:sum|avg|max|min|latest|values|count)\((\w+)\)")
FIELD_TESTS = re.compile(r"\b(\w+)=\*")
EVAL_INPUTS = re.compile(r"eval \w+=(\w+)/")
KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def queries():
    return [q.text for q in ET.parse(VIEW).getroot().iter("query")]


def logged_fields(lines):
    by_action = {}
    for line in lines:
        fields = dict(KV.findall(line.split(" ", 1)[1]))
        action = fields.get("action")
        if action:
            by_action.setdefault(action, set()).update(fields)
    return by_action


def test_every_action_the_dashboard_names_is_logged_by_the_code():
    source = ""
    for path in glob.glob(os.path.join(ROOT, "package", "bin", "sqs_s3_audit_*", "*.py")):
        source += open(path, encoding="utf-8").read()
    for query in queries():
        for action in re.findall(r"action=(\w+)", query):
            assert f'action="{action}"' in source, f"dashboard searches action={action}, which nothing logs"


def test_dashboard_fields_are_present_in_real_log_lines(vendor, moto_server, tmp_path):
    feed = vendor.create_feed(f"dash-{time.time_ns() % 10**8}", f"dash-{time.time_ns() % 10**8}", visibility_timeout=2,
                              max_receives=1)
    vendor.put_object(feed.bucket, samples.cloudtrail_key(1), samples.cloudtrail_object(samples.cloudtrail_records(20)))
    vendor.put_object(feed.bucket, "bad/cut.json.gz", samples.cloudtrail_object(samples.cloudtrail_records(300))[:3000])
    vendor.put_object(feed.bucket, "bad/lines.jsonl", b'{"a":1}\n{oops\n')
    vendor.send(feed.queue_url, "not a notification")
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path), CollectingSink())
    collector.summary_interval = 0.5
    run_until(collector, drained(vendor, feed.queue_url), timeout=60)
    by_action = logged_fields(collector.log_lines)
    assert {"summary", "object_done", "object_failed", "bad_record", "unusable_notification"} <= set(by_action)
    assert "dead_letter_depth" in by_action["summary"] and "queue_depth" in by_action["summary"]
    for query in queries():
        actions = [a for a in re.findall(r"action=(\w+)", query) if a in by_action]
        if not actions:
            continue
        available = set().union(*(by_action[a] for a in actions))
        used = set(FUNCTION_ARG.findall(query)) | set(FIELD_TESTS.findall(query)) | set(EVAL_INPUTS.findall(query))
        by_clause = re.findall(r"\bby ([\w ]+?)(?:\||$)", query)
        for clause in by_clause:
            used |= set(clause.split())
        missing = used - available - COMPUTED
        assert not missing, f"{missing} not in the logs of {actions}: {query}"
