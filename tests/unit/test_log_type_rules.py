"""``log_type_rules``: routing by key, validated with the line number, bounded regex time."""

from __future__ import annotations

import io
import json
import re
import time

import pytest

from sqs_s3_audit_engine.config import LOG_TYPES, parse_input
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.key_rules import MAX_DEGREE, check_bounded, parse_rules, route

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/q"
RULES = """
# Netskope-style bucket: alerts as JSON, transactions as CSV
^alerts/ => json
/transactions/.*\\.csv(\\.gz)?$ => csv
CloudTrail/ => cloudtrail
"""


def _cfg(**params):
    return parse_input("i", {"account": "a", "sqs_queue_url": QUEUE, **params})


def test_the_first_matching_rule_decides_and_unmatched_keys_use_log_type():
    cfg = _cfg(log_type="text", log_type_rules=RULES + "\nalerts/ => csv\n")
    assert cfg.log_type_for("alerts/2024/a.json") == "json"  # the first of two matching rules
    assert cfg.log_type_for("tenant/transactions/2024/x.csv.gz") == "csv"
    assert cfg.log_type_for("AWSLogs/123456789012/CloudTrail/us-east-1/f.json.gz") == "cloudtrail"  # anywhere
    assert cfg.log_type_for("other/file.log") == "text"
    assert _cfg().log_type_for("x") == "auto"


def test_auto_is_a_rule_target_so_a_rule_can_hand_keys_back_to_detection():
    cfg = _cfg(log_type="csv", log_type_rules="\\.json$ => auto")
    assert cfg.log_type_for("a/b.json") == "auto"
    assert cfg.log_type_for("a/b.csv") == "csv"


def test_a_regex_may_contain_the_arrow_itself():
    rules = parse_rules("a=>b => json", LOG_TYPES)
    assert route(rules, "xa=>by", "text") == "json"


@pytest.mark.parametrize("text, words", [
    ("^a/ => json\n\n^b/ => nonsense", ["log_type_rules", "line 3", "'nonsense' is not a log type"]),
    ("^a/ json", ["log_type_rules", "line 1", "<regex> => <log type>"]),
    ("# c\n => json", ["log_type_rules", "line 2", "no regex"]),
    ("ok => json\n([a-z => csv", ["log_type_rules", "line 2", "not a valid regular expression"]),
    ("(a+)+$ => json", ["log_type_rules", "line 1", "exponential"]),
    ("(x)y\\1 => json", ["log_type_rules", "line 1", "backreferences"]),
    (".*a.*b => json", ["log_type_rules", "line 1", "unbounded repeats"]),
])
def test_a_bad_rule_is_refused_naming_the_parameter_and_the_line(text, words):
    with pytest.raises(ConfigError) as caught:
        _cfg(log_type_rules=text)
    assert caught.value.parameter == "log_type_rules"
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("regex", [
    "/CloudTrail/", "^AWSLogs/\\d+/CloudTrail/.*\\.json\\.gz$", "\\.csv$", "^a.*b.*c$", "(?:\\d{4}/)+x",
    "^(?:alerts|events)/", "[^/]+\\.csv$", "^.*a.*b$",
])
def test_ordinary_key_regexes_are_accepted(regex):
    assert check_bounded(regex) is None


# Adversarial keys of S3's maximum length: long runs of one character and of a pair, the
# inputs that drive a backtracking engine into its worst case.
HOSTILE_KEYS = ["a" * 1024, "/" * 1024, "a/" * 512, "ab" * 512, "ac" * 512, "x" * 1023 + "!"]
# The slowest shapes the check accepts: degree MAX_DEGREE (unanchored with one unbounded
# repeat, or anchored with two), with bounded counted repeats beside them.
WORST_ACCEPTED = ["a.*a", "^.*.*x", "^a.*a.*b$", "\\w+x", "^\\w+\\w+x", "a.{0,4}.{0,4}b.*c", "\\d{1,3}\\.\\d{1,3}.*x", "^(?:.*a)?.*b"]


def test_the_worst_accepted_regexes_stay_fast_on_1024_byte_keys():
    # Degree 2 takes at most about 30 ms on such keys, degree 3 (refused) about a second,
    # degree 4 about a minute: 0.5 s per regex and key fails well before degree 3's time,
    # with room for a busy machine.
    assert MAX_DEGREE == 2
    for regex in WORST_ACCEPTED:
        assert check_bounded(regex) is None, regex
        compiled = re.compile(regex)
        for key in HOSTILE_KEYS:
            began = time.perf_counter()
            compiled.search(key)
            assert time.perf_counter() - began < 0.5, (regex, key[:4])


def test_degree_three_is_refused_because_it_is_slow():
    assert check_bounded(".*a.*b") is not None
    assert check_bounded("^.*a.*b.*c") is not None
    assert check_bounded(".{0,5}.{0,5}x") is not None  # a counted repeat spanning more than 4 counts as open


def test_a_rule_routes_an_object_to_csv_through_the_events_stage():
    cfg = _cfg(log_type="text", log_type_rules="\\.csv$ => csv")
    body = b"a,b\n1,2\n"
    csv_events = list(ObjectEvents(io.BytesIO(body), bucket="b", key="x.csv", log_type=cfg.log_type_for("x.csv"),
                                   fallback_time="5"))
    text_events = list(ObjectEvents(io.BytesIO(body), bucket="b", key="x.txt", log_type=cfg.log_type_for("x.txt"),
                                    fallback_time="5"))
    assert [json.loads(data) for _, data in csv_events] == [{"a": "1", "b": "2"}]
    assert [data for _, data in text_events] == ["a,b", "1,2"]
