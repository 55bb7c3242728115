"""The search-time emulation in tests/ko/ itself: PCRE2 as Splunk runs it, EVAL in
parallel, Splunk's null and absent-field rules, and a refusal of every construct it
does not implement."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ko import Unsupported, apply_transform, compile_pcre, evaluate, parse_eval, parse_search, search_matches
from ko.pipeline import KnowledgeObjects, check_props_stanza


def test_regexes_run_on_pcre2_with_constructs_python_re_lacks():
    # possessive quantifier, \h, atomic group, Unicode property, (?<name>): PCRE2 only
    fields = {"_raw": "héllo\tworld  42"}
    got = apply_transform({"REGEX": r"^(?<word>\p{L}++)\h+(?>(?<rest>\w+))\h+(?<num>\d++)$"}, fields)
    assert got == {"word": "héllo", "rest": "world", "num": "42"}
    assert type(compile_pcre(r"a")).__module__.startswith("pcre2")


def test_a_possessive_quantifier_does_not_backtrack_as_in_splunk():
    # Python re would backtrack a greedy \w+ to let the final "o" match; PCRE2 does not
    assert apply_transform({"REGEX": r"(?<x>\w++o)"}, {"_raw": "hello"}) == {}


def test_a_transform_with_an_unknown_key_is_refused():
    with pytest.raises(Unsupported):
        apply_transform({"REGEX": r"(?<a>\w+)", "DELIMS": ","}, {"_raw": "x"})


def test_empty_values_are_not_kept_unless_keep_empty_vals():
    stanza = {"REGEX": r"^(?<a>\w*),(?<b>\w*)$"}
    assert apply_transform(dict(stanza), {"_raw": ",x"}) == {"b": "x"}
    assert apply_transform(dict(stanza, KEEP_EMPTY_VALS="true"), {"_raw": ",x"}) == {"a": "", "b": "x"}


def test_format_pairs_repeat_over_the_event_and_clean_keys():
    got = apply_transform({"REGEX": r"(\S+)=(\S+)", "FORMAT": "$1::$2"}, {"_raw": "user.name=bob 9x=1"})
    assert got == {"user_name": "bob", "x": "1"}


def test_eval_fields_are_computed_in_parallel():
    ko = KnowledgeObjects()
    ko.props["t"] = {"KV_MODE": "json", "EVAL-a": '"from_eval"', "EVAL-b": "a"}
    ko.eventtypes, ko.tags = {}, {}
    fields = ko.search_time("t", '{"a":"from_json"}')
    assert fields["a"] == "from_eval"
    assert fields["b"] == "from_json"  # b never sees a's calculated value


def test_null_comparison_takes_the_else_branch_of_if_as_in_splunk():
    assert evaluate(parse_eval('if(x=="-", null(), "ip")'), {}) == "ip"
    assert evaluate(parse_eval('case(x=="-", "a")'), {}) is None
    assert evaluate(parse_eval('"a" . x'), {}) is None


def test_unknown_eval_functions_are_refused():
    with pytest.raises(Unsupported):
        parse_eval("mvfilter(x)")


def test_not_field_value_matches_an_event_without_the_field():
    node = parse_search('sourcetype="s" NOT operation=S3.*')
    assert search_matches(node, {"sourcetype": "s"})
    assert not search_matches(node, {"sourcetype": "s", "operation": "S3.EXPIRE.OBJECT"})
    assert not search_matches(parse_search("operation!=x"), {})


def test_free_text_and_piped_searches_are_refused():
    for search in ("error", "a=1 | where b>2", "eventtype=x"):
        with pytest.raises(Unsupported):
            parse_search(search)


def test_props_keys_the_emulation_does_not_know_are_refused():
    check_props_stanza("ok", {"KV_MODE": "json", "EVAL-x": "1", "TIME_FORMAT": "%s"})
    for stanza in ({"SEDCMD-x": "s/a/b/"}, {"KV_MODE": "auto"}, {"TRANSFORMS-x": "y"}):
        with pytest.raises(Unsupported):
            check_props_stanza("bad", stanza)


def _stanza_ko(stanza):
    ko = KnowledgeObjects()
    ko.props["t"] = stanza
    ko.eventtypes, ko.tags = {}, {}
    return ko


def test_an_alias_of_an_alias_and_a_lookup_fed_by_a_lookup_are_refused():
    with pytest.raises(Unsupported):
        _stanza_ko({"KV_MODE": "json", "FIELDALIAS-a": "x AS y", "FIELDALIAS-b": "y AS z"}).search_time("t", "{}")
    lookup = "sqs_s3_audit_iru_action_lookup vendor_action OUTPUT action"
    chained = {"KV_MODE": "json", "LOOKUP-a": lookup, "LOOKUP-b": "sqs_s3_audit_iru_action_lookup vendor_action AS action OUTPUT action AS b"}
    with pytest.raises(Unsupported):
        _stanza_ko(chained).search_time("t", "{}")


def test_asnew_keeps_a_field_that_exists_and_as_replaces_it():
    ko = _stanza_ko({"KV_MODE": "json", "FIELDALIAS-a": "x AS y x ASNEW z"})
    fields = ko.search_time("t", '{"x":"1","y":"2","z":"3"}')
    assert (fields["y"], fields["z"]) == ("1", "3")


def test_an_eval_may_replace_the_field_it_reads():
    ko = _stanza_ko({"KV_MODE": "json", "EVAL-m": 'if(match(m, "^(GET|PUT)$"), m, null())'})
    assert ko.search_time("t", '{"m":"GET"}')["m"] == "GET"
    assert "m" not in ko.search_time("t", '{"m":"PROPFIND"}')


# Stanzas whose search time the emulation deliberately does not cover, and why.
NOT_EMULATED = {"sqs_s3_audit:text": "KV_MODE = auto (Splunk's automatic key=value extraction); no data model reads it"}


def test_every_props_stanza_uses_only_settings_the_emulation_implements():
    ko = KnowledgeObjects()
    for name, stanza in ko.props.items():
        if name in NOT_EMULATED:
            with pytest.raises(Unsupported):
                check_props_stanza(name, stanza)
            continue
        check_props_stanza(name, stanza)
        for key, value in stanza.items():
            if key.startswith("EVAL-"):
                parse_eval(value)


def test_eval_functions_with_arguments_the_emulation_does_not_implement_are_refused():
    for expr in ('mvindex(x, 0, 2)', 'tonumber(x, 16)', 'if(a, b)', 'case(a)', 'tostring(x, "hex")'):
        with pytest.raises(Unsupported):
            parse_eval(expr)


def test_an_inline_extract_reads_the_field_named_after_in():
    ko = _stanza_ko({"KV_MODE": "json", "EXTRACT-a": r"^(?<scheme>\w+)://(?<host>[^/]+) in url"})
    fields = ko.search_time("t", '{"url":"https://example.com/x"}')
    # EXTRACT runs before KV_MODE: the JSON field url is not there yet, so nothing is extracted
    assert "scheme" not in fields
    ko = _stanza_ko({"KV_MODE": "none", "EXTRACT-a": r"^(?<scheme>\w+)://(?<host>[^/ ]+)"})
    assert ko.search_time("t", "https://example.com/x")["host"] == "example.com"
