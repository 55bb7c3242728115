"""Knowledge objects (props, transforms, eventtypes, tags, lookups) as a whole: conf
syntax, index-time settings, references and names, regexes, EVAL hygiene, event types.
Per sourcetype family: test_knowledge_objects_<family>.py. The emulation: tests/ko/."""

import csv
import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ko import (
    LOOKUP_DIR, SAMPLES_DIR, ConfError, EvalError, apply_transform, compile_pcre, eval_field_refs, extract_time,
    load_conf, parse_conf_text, parse_eval, parse_lookup_spec, parse_search, read_lookup, search_field_refs,
    testing, wildcard_fields,
)
from ko.pipeline import json_fields
from ko.testing import (
    ALL_SOURCETYPES, CONF_FILES, DECLARED_LOOKUP_COLUMNS, JSON_SOURCETYPES, OPTIONAL_JSON_FIELDS,
    OPTIONAL_THRIVE_ATTRIBUTES, SOURCETYPES,
)


@pytest.fixture(scope="module")
def ko():
    return testing.knowledge_objects()


@pytest.fixture(scope="module")
def samples():
    return testing.samples()


@pytest.fixture(scope="module")
def processed():
    return testing.processed()


# ----------------------------------------------------------------- conf syntax


@pytest.mark.parametrize("filename", CONF_FILES)
def test_conf_file_parses_without_duplicate_stanzas_or_keys(filename):
    stanzas = load_conf(filename)
    assert stanzas
    assert "default" not in stanzas, f"{filename} has settings outside any stanza"


def test_conf_checker_rejects_a_duplicate_key_in_a_stanza():
    with pytest.raises(ConfError):
        parse_conf_text("[a]\nX = 1\nX = 2\n")
    with pytest.raises(ConfError):
        parse_conf_text("[a]\nX = 1\n[a]\nY = 2\n")


def test_every_sourcetype_has_a_props_stanza(ko):
    for st in ALL_SOURCETYPES:
        assert st in ko.props, st


# -------------------------------------------------------------- index time


@pytest.mark.parametrize("sourcetype", ALL_SOURCETYPES)
def test_sourcetype_writes_one_event_per_record_without_line_merging(ko, sourcetype):
    stanza = ko.props[sourcetype]
    assert stanza["SHOULD_LINEMERGE"] == "false"
    breaker = compile_pcre(stanza["LINE_BREAKER"])
    assert breaker.groups >= 1, "LINE_BREAKER needs a capture group"
    assert int(stanza["TRUNCATE"]) >= 10000


def test_line_breaker_never_splits_a_rendered_sample_event(ko, samples):
    for name, st, raw, _ in samples:
        breaker = compile_pcre(ko.props[st]["LINE_BREAKER"])
        assert not breaker.search(raw), f"{name}: LINE_BREAKER matches inside one event"


def test_every_sample_json_record_is_one_line_of_compact_json(samples):
    for _name, st, raw, _ in samples:
        if st in JSON_SOURCETYPES:
            assert "\n" not in raw and "\r" not in raw
            assert json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False) == raw


def test_timestamp_settings_parse_the_same_time_the_input_writes(ko, samples):
    for name, st, raw, expected in samples:
        stanza = ko.props[st]
        assert stanza["DATETIME_CONFIG"] not in ("CURRENT", "NONE"), st
        got = extract_time(stanza, raw)
        assert got is not None, f"{name}: no timestamp found in {raw[:120]}"
        assert abs(got - expected) < 1e-6, f"{name}: props time {got} != input time {expected}"


def test_generic_sourcetypes_keep_the_time_written_by_the_input(ko):
    for st in ("sqs_s3_audit:json", "sqs_s3_audit:text"):
        assert ko.props[st]["DATETIME_CONFIG"] == "NONE"


def test_json_sourcetypes_use_search_time_json_and_no_index_time_extraction(ko):
    for st in JSON_SOURCETYPES + ("sqs_s3_audit:json",):
        assert ko.props[st]["KV_MODE"] == "json"
    for st, stanza in ko.props.items():
        for key in stanza:
            assert key != "INDEXED_EXTRACTIONS", f"[{st}] {key}"
            assert not key.startswith("TRANSFORMS-"), f"[{st}] {key}: no index-time transforms"
            assert not key.startswith("INGEST_EVAL"), f"[{st}] {key}"
            assert key != "unarchive_cmd", f"[{st}] {key}"
    for name, stanza in ko.transforms.items():
        assert "external_cmd" not in stanza, f"[{name}] scripted lookups are not allowed"
        assert "DEST_KEY" not in stanza and "WRITE_META" not in stanza, f"[{name}] is index time"


# ----------------------------------------------------- references and names


def test_every_report_references_an_existing_transform(ko):
    for st, stanza in ko.props.items():
        for key, value in stanza.items():
            if key.startswith("REPORT-"):
                for name in [n.strip() for n in value.split(",") if n.strip()]:
                    assert name in ko.transforms, f"[{st}] {key} -> missing [{name}]"
                    assert "REGEX" in ko.transforms[name]


def test_every_lookup_references_an_existing_transform_and_csv_file(ko):
    for st, stanza in ko.props.items():
        for key, value in stanza.items():
            if key.startswith("LOOKUP-"):
                name, inputs, mode, outputs = parse_lookup_spec(value)
                assert name in ko.transforms, f"[{st}] {key} -> missing [{name}]"
                assert mode in ("OUTPUT", "OUTPUTNEW") and inputs and outputs, key
                filename = ko.transforms[name]["filename"]
                assert os.path.isfile(os.path.join(LOOKUP_DIR, filename)), filename
                header, _ = read_lookup(filename)
                for col, _field in inputs + outputs:
                    assert col in header, f"{key}: column {col} not in {filename} {header}"


def test_every_transform_is_used_by_props(ko):
    used = set()
    for stanza in ko.props.values():
        for key, value in stanza.items():
            if key.startswith("REPORT-"):
                used.update(n.strip() for n in value.split(","))
            elif key.startswith("LOOKUP-"):
                used.add(parse_lookup_spec(value)[0])
    assert set(ko.transforms) == used


def test_every_lookup_file_has_its_declared_columns_and_is_referenced(ko):
    files = sorted(f for f in os.listdir(LOOKUP_DIR) if not f.startswith("."))
    assert files == sorted(DECLARED_LOOKUP_COLUMNS), "lookup files and declared columns differ"
    referenced = {s["filename"] for s in ko.transforms.values() if "filename" in s}
    assert referenced == set(files)
    for filename, columns in DECLARED_LOOKUP_COLUMNS.items():
        path = os.path.join(LOOKUP_DIR, filename)
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == columns, filename
        assert len(rows) > 1, filename
        for row in rows[1:]:
            assert len(row) == len(columns), f"{filename}: {row}"
        stanza = next(s for s in ko.transforms.values() if s.get("filename") == filename)
        assert wildcard_fields(stanza) <= set(columns)


def test_every_wildcard_lookup_ends_with_a_catch_all_row_or_is_keyed_by_exact_names(ko):
    for name, stanza in ko.transforms.items():
        if "filename" not in stanza:
            continue
        header, rows = read_lookup(stanza["filename"])
        assert stanza.get("max_matches") == "1", f"[{name}] first matching row must win"
        if wildcard_fields(stanza):
            last = rows[-1]
            assert all(last[c] == "*" for c in wildcard_fields(stanza)), name


def test_knowledge_object_names_cannot_collide_with_the_splunk_add_on_for_aws(ko):
    for st, stanza in ko.props.items():
        for key in stanza:
            if key.split("-", 1)[0] in ("REPORT", "EXTRACT", "FIELDALIAS", "LOOKUP"):
                assert key.split("-", 1)[1].startswith("sqs_s3_audit_"), f"[{st}] {key}"
    for name in ko.transforms:
        assert name.startswith("sqs_s3_audit_"), name
    for name in ko.eventtypes:
        assert name.startswith("sqs_s3_audit_"), name
    for filename in DECLARED_LOOKUP_COLUMNS:
        assert filename.startswith("sqs_s3_audit_")


# ---------------------------------------------------------------- regexes


def test_every_report_regex_matches_at_least_one_sample_event(ko, samples):
    for st, stanza in ko.props.items():
        for key, value in stanza.items():
            if not key.startswith("REPORT-"):
                continue
            for name in [n.strip() for n in value.split(",")]:
                regex = compile_pcre(ko.transforms[name]["REGEX"])
                if name.endswith("_bare"):
                    continue  # the samples use OTLP/JSON string ints; tested above
                key_of = ko.transforms[name].get("SOURCE_KEY", "_raw")   # e.g. the ELB request line
                texts = [raw if key_of == "_raw" else ko.search_time(st, raw).get(key_of)
                         for _, s, raw, _ in samples if s == st]
                assert any(regex.search(x) for x in texts if isinstance(x, str)), name


# ------------------------------------------------------------------- EVALs


def test_every_eval_expression_parses_with_supported_functions(ko):
    for st, stanza in ko.props.items():
        for key, value in stanza.items():
            if key.startswith("EVAL-"):
                try:
                    parse_eval(value)
                except EvalError as exc:  # pragma: no cover - shows the culprit
                    pytest.fail(f"[{st}] {key}: {exc}")


def _defined_fields(ko, st, samples):
    """Fields that exist for `st` before EVAL: JSON keys of the samples, REPORT
    groups and dynamic keys, FIELDALIAS targets."""
    defined = {"_raw", "sourcetype", "source", "host", "index", "_time", "eventtype", "tag"}
    for _, s, raw, _ in samples:
        if s != st:
            continue
        if st in JSON_SOURCETYPES:
            defined.update(json_fields(raw))
        for _key, value in ko.classes(st, "REPORT"):
            fields = {"_raw": raw}
            for name in [n.strip() for n in value.split(",")]:
                apply_transform(ko.transforms[name], fields)
                defined.update(compile_pcre(ko.transforms[name]["REGEX"]).groupindex)
            defined.update(fields)
    for _key, value in ko.classes(st, "FIELDALIAS"):
        defined.update(dst for _, dst in re.findall(r"(\S+)\s+AS(?:NEW)?\s+(\S+)", value))
    return defined


def test_eval_expressions_read_only_fields_that_exist_for_their_sourcetype(ko, samples):
    for st in SOURCETYPES:
        defined = _defined_fields(ko, st, samples)
        top_level = {f.split(".")[0].split("{")[0] for f in defined}
        allowed_missing = OPTIONAL_THRIVE_ATTRIBUTES if st == "thrive:audit" else OPTIONAL_JSON_FIELDS.get(st, set())
        for key, value in ko.classes(st, "EVAL"):
            for ref in eval_field_refs(parse_eval(value)):
                if ref in defined or ref in allowed_missing:
                    continue
                # optional JSON paths (e.g. requestParameters.roleName) must at least
                # start with a key the records have
                head = ref.split(".")[0].split("{")[0]
                assert "." in ref and head in top_level, f"[{st}] {key} reads unknown field {ref!r}"


def test_eval_never_reads_a_field_that_only_a_lookup_outputs(ko):
    for st in SOURCETYPES:
        lookup_outputs = set()
        for _key, value in ko.classes(st, "LOOKUP"):
            _, _, _, outputs = parse_lookup_spec(value)
            lookup_outputs.update(dst for _, dst in outputs)
        eval_outputs = {k[len("EVAL-"):] for k, _ in ko.classes(st, "EVAL")}
        for key, value in ko.classes(st, "EVAL"):
            refs = eval_field_refs(parse_eval(value))
            assert not (refs & (lookup_outputs - eval_outputs)), f"[{st}] {key} reads a lookup output"


# ------------------------------------------------------- eventtypes and tags


def test_every_tag_refers_to_an_existing_eventtype(ko):
    for stanza, tags in ko.tags.items():
        assert stanza.startswith("eventtype="), stanza
        assert stanza[len("eventtype="):] in ko.eventtypes, stanza
        assert tags and all(v in ("enabled", "disabled") for v in tags.values()), stanza


def test_every_eventtype_search_uses_only_defined_sourcetypes_and_fields(ko, samples, processed):
    produced = {}
    for _, st, _, fields in processed:
        produced.setdefault(st, set()).update(fields)
    for st in SOURCETYPES:
        produced.setdefault(st, set()).update(_defined_fields(ko, st, samples))
    for name, stanza in ko.eventtypes.items():
        tree = parse_search(stanza["search"])
        sts = [n[3] for n in _terms(tree) if n[1] == "sourcetype"]
        assert len(sts) == 1 and sts[0] in SOURCETYPES, f"{name}: sourcetype {sts}"
        for field in search_field_refs(tree) - {"sourcetype"}:
            assert field in produced[sts[0]], f"{name}: field {field} is not defined for {sts[0]}"


def _terms(node):
    if node[0] == "term":
        return [node]
    if node[0] in ("and", "or"):
        return _terms(node[1]) + _terms(node[2])
    if node[0] == "not":
        return []
    return []


def test_every_eventtype_matches_at_least_one_sample_event(ko, processed):
    matched = {et for *_, fields in processed for et in fields["eventtype"]}
    assert matched == set(ko.eventtypes)


# ------------------------------------------------------------- the samples


def test_sample_files_are_valid_real_format_records():
    d = SAMPLES_DIR
    with open(os.path.join(d, "cloudtrail_management.json"), encoding="utf-8") as f:
        records = json.load(f)["Records"]
    names = [r["eventName"] for r in records]
    assert {"ConsoleLogin", "AssumeRole", "CreateUser", "PutBucketPolicy"} <= set(names)
    assert {r.get("responseElements", {}).get("ConsoleLogin") for r in records
            if r["eventName"] == "ConsoleLogin"} == {"Success", "Failure"}
    with open(os.path.join(d, "cloudtrail_insight.json"), encoding="utf-8") as f:
        insights = json.load(f)["Records"]
    assert all(r["eventType"] == "AwsCloudTrailInsight" and "userIdentity" not in r for r in insights)
    with open(os.path.join(d, "iru_activity.jsonl"), encoding="utf-8") as f:
        iru = [json.loads(line) for line in f if line.strip()]
    assert {r["actor_type"] for r in iru} == {"user", "kandji"}
    for r in iru:
        assert {"id", "action", "occurred_at", "actor_id", "actor_type", "target_id", "target_type"} <= set(r)
    with open(os.path.join(d, "thrive_otlp_logs.json"), encoding="utf-8") as f:
        otlp = json.load(f)
    recs = [lr for rl in otlp["resourceLogs"] for sl in rl["scopeLogs"] for lr in sl["logRecords"]]
    assert len(recs) == 4 and all(r["timeUnixNano"].isdigit() for r in recs)
    with open(os.path.join(d, "thrive_otel_flat.jsonl"), encoding="utf-8") as f:
        flat = [json.loads(line) for line in f if line.strip()]
    assert flat and all("resource" not in r and "attributes" in r for r in flat)
    with open(os.path.join(d, "s3_access.log"), encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    assert len(lines) == 6 and all(re.search(r"\[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]", x)
                                   for x in lines)
