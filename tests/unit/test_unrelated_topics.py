"""SNS messages naming no S3 object: memory and warnings bounded whatever the senders do (issue 19, finding 6)."""

from __future__ import annotations

import json
import logging

from sqs_s3_audit_engine.metrics import Metrics
from sqs_s3_audit_engine.notification_records import UnrelatedReporter
from sqs_s3_audit_engine.notification_types import MAX_TOPIC_CHARS
from sqs_s3_audit_engine.notifications import parse_notification


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append((record.levelno, record.getMessage()))


def alarm(topic: str) -> str:
    return json.dumps({"Type": "Notification", "MessageId": "m", "TopicArn": topic, "Subject": "ALARM",
                       "Message": json.dumps({"AlarmName": "cpu"}), "Timestamp": "2025-03-04T16:30:00.000Z"})


def reporter(clock):
    log = logging.getLogger(f"unrelated-{id(clock)}")
    log.setLevel(logging.DEBUG)
    lines = Lines()
    log.addHandler(lines)
    return UnrelatedReporter(log, Metrics(), clock=clock), lines


def test_a_flood_of_long_distinct_topics_keeps_memory_and_warnings_bounded():
    now = [1000.0]
    unrelated, lines = reporter(lambda: now[0])
    for n in range(3000):
        topic = f"arn:aws:sns:us-east-1:123456789012:t{n}-" + "x" * 100_000
        unrelated.report(parse_notification(alarm(topic)), f"m{n}")
    assert len(unrelated._topics) <= 1000
    assert all(len(topic) <= MAX_TOPIC_CHARS + 16 for topic in unrelated._topics)
    warnings = [text for level, text in lines.records if level == logging.WARNING]
    assert len(warnings) == 20 and all(len(text) < 1000 for text in warnings)
    assert all(len(text) < 1000 for _level, text in lines.records)
    now[0] += 61
    unrelated.report(parse_notification(alarm("arn:aws:sns:us-east-1:123456789012:new")), "last")
    warnings = [text for level, text in lines.records if level == logging.WARNING]
    assert "unrelated_notifications_not_shown" in warnings[-2] and "count=2980" in warnings[-2]
    assert "TopicArn=arn:aws:sns:us-east-1:123456789012:new" in warnings[-1]


def test_a_known_topic_warns_once():
    unrelated, lines = reporter(lambda: 0.0)
    for _ in range(5):
        unrelated.report(parse_notification(alarm("arn:aws:sns:us-east-1:123456789012:alarms")), "m")
    assert [level for level, _text in lines.records] == [logging.WARNING] + [logging.DEBUG] * 4
