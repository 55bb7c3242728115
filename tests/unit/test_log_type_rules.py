"""``log_type_rules``: routing by key, validated with the line number, linear regex time."""

from __future__ import annotations

import io
import json
import re
import time

import pytest

from sqs_s3_audit_engine.config import LOG_TYPES, parse_input
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.key_rules import parse_rules, route

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
    ("(x)y\\1 => json", ["log_type_rules", "line 1", "backreference"]),
    ("a(?=b) => json", ["log_type_rules", "line 1", "lookahead"]),
])
def test_a_bad_rule_is_refused_naming_the_parameter_and_the_line(text, words):
    with pytest.raises(ConfigError) as caught:
        _cfg(log_type_rules=text)
    assert caught.value.parameter == "log_type_rules"
    for word in words:
        assert word in str(caught.value)


# Adversarial keys of S3's maximum length: long runs of one character and of a pair, the
# inputs that drive a backtracking engine into its worst case.
HOSTILE_KEYS = ["a" * 1024, "/" * 1024, "a/" * 512, "ab" * 512, "ac" * 512, "x" * 1023 + "!"]
# Regexes that take Python's re seconds to hours on such keys (nested repeats: exponential;
# k unbounded repeats: a 1,024-byte key to the power k+1).
HOSTILE_REGEXES = ["(a+)+$", "(a|aa)*c", ".*a.*a.*a.*b", "(?:\\w+/)+x", "(.*)*!b", "\\w+\\w+\\w+\\w+$"]


def test_hostile_regexes_on_1024_byte_keys_route_in_linear_time():
    # The automaton (key_filter) visits each character once per state: well under 0.5 s
    # per regex and key here, where re's backtracking takes from a second to years.
    rules = parse_rules("\n".join(f"{regex} => csv" for regex in HOSTILE_REGEXES), LOG_TYPES)
    for (compiled, _), regex in zip(rules, HOSTILE_REGEXES):
        for key in HOSTILE_KEYS:
            began = time.perf_counter()
            compiled.search(key)
            assert time.perf_counter() - began < 0.5, (regex, key[:4])


def test_rules_match_what_re_search_matches():
    keys = ["AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/f.json.gz", "exports/2024/x.csv.gz",
            "alerts/a.json", "tenant/transactions/t.CSV", "a=>b", ""]
    regexes = ["/CloudTrail/", "^exports/.*\\.csv(\\.gz)?$", "^alerts/", "(?i)\\.csv$", "=>b$", "^$"]
    for regex in regexes:
        [(compiled, _)] = parse_rules(f"{regex} => json", LOG_TYPES)
        for key in keys:
            assert compiled.search(key) == bool(re.search(regex, key)), (regex, key)


def test_a_rule_routes_an_object_to_csv_through_the_events_stage():
    cfg = _cfg(log_type="text", log_type_rules="\\.csv$ => csv")
    body = b"a,b\n1,2\n"
    csv_events = list(ObjectEvents(io.BytesIO(body), bucket="b", key="x.csv", log_type=cfg.log_type_for("x.csv"),
                                   fallback_time="5"))
    text_events = list(ObjectEvents(io.BytesIO(body), bucket="b", key="x.txt", log_type=cfg.log_type_for("x.txt"),
                                    fallback_time="5"))
    assert [json.loads(data) for _, data in csv_events] == [{"a": "1", "b": "2"}]
    assert [data for _, data in text_events] == ["a,b", "1,2"]
