"""Knowledge objects (props, transforms, eventtypes, tags, lookups) checked offline
against the real-format samples in tests/fixtures/samples/, rendered the way the
modular input writes events. See tests/ko_conf.py for the emulation used."""

import csv
import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ko_conf

SOURCETYPES = ("aws:cloudtrail", "iru:endpoint:activity", "thrive:audit", "aws:s3:accesslogs")
JSON_SOURCETYPES = ("aws:cloudtrail", "iru:endpoint:activity", "thrive:audit")
# AWS logs of issue 13 (Splunk Add-on for AWS sourcetype names)
AWS_LOG_TEXT_SOURCETYPES = ("aws:elb:accesslogs", "aws:cloudfront:accesslogs", "aws:cloudwatchlogs:vpcflow")
AWS_LOG_JSON_SOURCETYPES = ("aws:waf", "aws:config", "aws:config:notification", "aws:cloudwatch:guardduty")
SOURCETYPES += AWS_LOG_TEXT_SOURCETYPES + AWS_LOG_JSON_SOURCETYPES
JSON_SOURCETYPES += AWS_LOG_JSON_SOURCETYPES
# CrowdStrike FDR (issue 22; the Splunk Add-on for CrowdStrike FDR's names)
CROWDSTRIKE_SOURCETYPES = ("crowdstrike:events:sensor", "crowdstrike:inventory:aidmaster",
                           "crowdstrike:inventory:managedassets", "crowdstrike:inventory:notmanaged",
                           "crowdstrike:inventory:appinfo", "crowdstrike:inventory:userinfo")
SOURCETYPES += CROWDSTRIKE_SOURCETYPES
JSON_SOURCETYPES += CROWDSTRIKE_SOURCETYPES
ALL_SOURCETYPES = SOURCETYPES + ("sqs_s3_audit:json", "sqs_s3_audit:text")
CONF_FILES = ("props.conf", "transforms.conf", "eventtypes.conf", "tags.conf")
CIM_CHANGE_ACTIONS = {"acl_modified", "cleared", "created", "deleted", "modified", "read", "stopped"}

# Columns each lookup file declares (the contract other searches may rely on).
DECLARED_LOOKUP_COLUMNS = {
    "sqs_s3_audit_cloudtrail_action.csv": ["eventName", "status", "action", "authentication_method"],
    "sqs_s3_audit_cloudtrail_object_category.csv": ["eventName", "object_category"],
    "sqs_s3_audit_iru_action.csv": ["vendor_action", "action"],
    "sqs_s3_audit_thrive_event.csv": ["event_name", "status", "audit_category", "action", "object_category"],
}

# OpenTelemetry attributes the Thrive mapping reads when present (documented in
# docs/sourcetypes/thrive_audit.md) but which the samples do not all carry.
OPTIONAL_THRIVE_ATTRIBUTES = {"server_address", "source_address", "user_name", "error_type",
                              "auth_method", "thrive_tenant_id", "service_name", "target_name",
                              "target_id", "target_type", "eventName"}


@pytest.fixture(scope="module")
def ko():
    return ko_conf.KnowledgeObjects()


@pytest.fixture(scope="module")
def samples():
    return ko_conf.render_samples()


@pytest.fixture(scope="module")
def processed(ko, samples):
    return [(name, st, raw, ko.search_time(st, raw)) for name, st, raw, _ in samples]


def events_of(processed, sample_file):
    return [fields for name, _, _, fields in processed if name == sample_file]


# ----------------------------------------------------------------- conf syntax


@pytest.mark.parametrize("filename", CONF_FILES)
def test_conf_file_parses_without_duplicate_stanzas_or_keys(filename):
    stanzas = ko_conf.load_conf(filename)
    assert stanzas
    assert "default" not in stanzas, f"{filename} has settings outside any stanza"


def test_conf_checker_rejects_a_duplicate_key_in_a_stanza():
    with pytest.raises(ko_conf.ConfError):
        ko_conf.parse_conf_text("[a]\nX = 1\nX = 2\n")
    with pytest.raises(ko_conf.ConfError):
        ko_conf.parse_conf_text("[a]\nX = 1\n[a]\nY = 2\n")


def test_every_sourcetype_has_a_props_stanza(ko):
    for st in ALL_SOURCETYPES:
        assert st in ko.props, st


# -------------------------------------------------------------- index time


@pytest.mark.parametrize("sourcetype", ALL_SOURCETYPES)
def test_sourcetype_writes_one_event_per_record_without_line_merging(ko, sourcetype):
    stanza = ko.props[sourcetype]
    assert stanza["SHOULD_LINEMERGE"] == "false"
    breaker = ko_conf.compile_pcre(stanza["LINE_BREAKER"])
    assert breaker.groups >= 1, "LINE_BREAKER needs a capture group"
    assert int(stanza["TRUNCATE"]) >= 10000


def test_line_breaker_never_splits_a_rendered_sample_event(ko, samples):
    for name, st, raw, _ in samples:
        breaker = ko_conf.compile_pcre(ko.props[st]["LINE_BREAKER"])
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
        got = ko_conf.extract_time(stanza, raw)
        assert got is not None, f"{name}: no timestamp found in {raw[:120]}"
        assert abs(got - expected) < 1e-6, f"{name}: props time {got} != input time {expected}"


def test_cloudtrail_timestamp_and_json_settings_match_the_splunk_add_on_for_aws(ko):
    stanza = ko.props["aws:cloudtrail"]
    assert stanza["TIME_PREFIX"] == r"\"eventTime\"\s*\:\s*\""
    assert stanza["TIME_FORMAT"] == "%Y-%m-%dT%H:%M:%S%Z"
    assert stanza["KV_MODE"] == "json"
    assert stanza["TRUNCATE"] == "8388608"


def test_thrive_time_prefers_time_unix_nano_and_falls_back_to_observed_time_like_the_input(ko):
    stanza = ko.props["thrive:audit"]
    raw = '{"observedTimeUnixNano":"1741105814999999999","timeUnixNano":"1741105814000000000"}'
    assert ko_conf.extract_time(stanza, raw) == 1741105814.0
    bare = '{"timeUnixNano":1741105814500000000}'
    assert ko_conf.extract_time(stanza, bare) == 1741105814.5
    unset = '{"timeUnixNano":"0","severityNumber":9,"observedTimeUnixNano":"1741105815250000000"}'
    assert ko_conf.extract_time(stanza, unset) == 1741105815.25


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
                name, inputs, mode, outputs = ko_conf.parse_lookup_spec(value)
                assert name in ko.transforms, f"[{st}] {key} -> missing [{name}]"
                assert mode in ("OUTPUT", "OUTPUTNEW") and inputs and outputs, key
                filename = ko.transforms[name]["filename"]
                assert os.path.isfile(os.path.join(ko_conf.LOOKUP_DIR, filename)), filename
                header, _ = ko_conf.read_lookup(filename)
                for col, _field in inputs + outputs:
                    assert col in header, f"{key}: column {col} not in {filename} {header}"


def test_every_transform_is_used_by_props(ko):
    used = set()
    for stanza in ko.props.values():
        for key, value in stanza.items():
            if key.startswith("REPORT-"):
                used.update(n.strip() for n in value.split(","))
            elif key.startswith("LOOKUP-"):
                used.add(ko_conf.parse_lookup_spec(value)[0])
    assert set(ko.transforms) == used


def test_every_lookup_file_has_its_declared_columns_and_is_referenced(ko):
    files = sorted(f for f in os.listdir(ko_conf.LOOKUP_DIR) if not f.startswith("."))
    assert files == sorted(DECLARED_LOOKUP_COLUMNS), "lookup files and declared columns differ"
    referenced = {s["filename"] for s in ko.transforms.values() if "filename" in s}
    assert referenced == set(files)
    for filename, columns in DECLARED_LOOKUP_COLUMNS.items():
        path = os.path.join(ko_conf.LOOKUP_DIR, filename)
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == columns, filename
        assert len(rows) > 1, filename
        for row in rows[1:]:
            assert len(row) == len(columns), f"{filename}: {row}"
        stanza = next(s for s in ko.transforms.values() if s.get("filename") == filename)
        assert ko_conf.wildcard_fields(stanza) <= set(columns)


def test_every_wildcard_lookup_ends_with_a_catch_all_row_or_is_keyed_by_exact_names(ko):
    for name, stanza in ko.transforms.items():
        if "filename" not in stanza:
            continue
        header, rows = ko_conf.read_lookup(stanza["filename"])
        assert stanza.get("max_matches") == "1", f"[{name}] first matching row must win"
        if ko_conf.wildcard_fields(stanza):
            last = rows[-1]
            assert all(last[c] == "*" for c in ko_conf.wildcard_fields(stanza)), name


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


S3_EXPECTED = [
    {   # AWS documentation example, every field present
        "bucket_owner": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "bucket_name": "amzn-s3-demo-bucket1", "request_time": "06/Feb/2019:00:00:38 +0000",
        "remote_ip": "192.0.2.3", "requester": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "request_id": "3E57427F3EXAMPLE", "operation": "REST.GET.VERSIONING", "key": "-",
        "request_uri": "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1", "http_method": "GET",
        "uri_path": "/amzn-s3-demo-bucket1", "uri_query": "versioning", "http_version": "HTTP/1.1",
        "http_status": "200", "error_code": "-", "bytes_sent": "113", "object_size": "-", "total_time": "7",
        "turn_around_time": "-", "referrer": "-", "user_agent": "S3Console/0.4", "version_id": "-",
        "host_id": "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=",
        "signature_version": "SigV4", "cipher_suite": "ECDHE-RSA-AES128-GCM-SHA256",
        "authentication_type": "AuthHeader", "host_header": "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com",
        "tls_version": "TLSV1.2", "access_point_arn": "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP",
        "acl_required": "Yes",
    },
    {   # IAM requester, URL-encoded key, query string, quoted referrer and user agent with spaces
        "requester": "arn:aws:iam::111122223333:user/alice", "operation": "REST.GET.OBJECT",
        "key": "reports/2025/Q1%20summary.pdf", "http_method": "GET", "uri_path": "/reports/2025/Q1%20summary.pdf",
        "uri_query": "response-content-disposition=inline&x-id=GetObject", "http_status": "200",
        "bytes_sent": "482113", "object_size": "482113", "total_time": "57", "turn_around_time": "41",
        "referrer": "https://console.aws.amazon.com/s3/buckets/amzn-s3-demo-bucket1",
        "user_agent": "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/s3.cp",
        "version_id": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
        "tls_version": "TLSv1.3", "access_point_arn": "-", "acl_required": "-",
    },
    {   # anonymous 403, referrer with a space
        "remote_ip": "198.51.100.77", "requester": "-", "http_status": "403", "error_code": "AccessDenied",
        "object_size": "-", "referrer": "https://evil.example/landing page.html",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
        "signature_version": "-", "authentication_type": "-", "host_header": "s3.us-east-1.amazonaws.com",
    },
    {   # presigned PUT through an access point
        "requester": "arn:aws:sts::111122223333:assumed-role/DeployRole/alice-deploy", "http_method": "PUT",
        "operation": "REST.PUT.OBJECT", "bytes_sent": "-", "object_size": "10485760",
        "authentication_type": "QueryString",
        "access_point_arn": "arn:aws:s3:us-east-1:111122223333:accesspoint/amzn-s3-demo-ap", "acl_required": "-",
    },
    {   # lifecycle expiration: no request, dashes everywhere
        "remote_ip": "-", "requester": "AmazonS3", "operation": "S3.EXPIRE.OBJECT", "request_uri": "-",
        "http_status": "-", "error_code": "-", "bytes_sent": "-", "object_size": "20480", "referrer": "-",
        "user_agent": "-", "host_header": "-", "acl_required": "-",
    },
    {   # older format: the line ends after the user agent
        "operation": "REST.DELETE.OBJECT", "key": "tmp/old%2Bfile.txt", "http_method": "DELETE",
        "http_status": "404", "error_code": "NoSuchKey",
        "user_agent": "S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.210 "
                      "OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation "
                      "cfg/retry-mode/standard",
    },
]


def test_s3_access_log_regex_extracts_the_expected_fields_from_each_sample_line(ko, samples):
    lines = [raw for name, st, raw, _ in samples if st == "aws:s3:accesslogs"]
    assert len(lines) == len(S3_EXPECTED)
    transform = ko.transforms["sqs_s3_audit_s3_access_fields"]
    for raw, expected in zip(lines, S3_EXPECTED):
        fields = {"_raw": raw}
        got = ko_conf.apply_transform(transform, fields)
        assert got, f"no match: {raw}"
        for name, value in expected.items():
            assert got.get(name) == value, f"{name}: {got.get(name)!r} != {value!r} in {raw}"
    last = ko_conf.apply_transform(transform, {"_raw": lines[-1]})
    assert "version_id" not in last and "host_id" not in last
    lifecycle = ko_conf.apply_transform(transform, {"_raw": lines[4]})
    assert "http_method" not in lifecycle and "uri_path" not in lifecycle


def test_s3_access_log_regex_accepts_fields_aws_may_append_later(ko, samples):
    line = next(raw for name, st, raw, _ in samples if st == "aws:s3:accesslogs")
    got = ko_conf.apply_transform(ko.transforms["sqs_s3_audit_s3_access_fields"],
                                  {"_raw": line + " SomeFutureField"})
    assert got["acl_required"] == "Yes"


def test_otel_attribute_regexes_extract_string_int_and_bool_attributes(ko, samples):
    thrive = [raw for name, st, raw, _ in samples if name == "thrive_otlp_logs.json"]
    fields = {"_raw": thrive[1]}
    for name in ("sqs_s3_audit_otel_attribute_quoted", "sqs_s3_audit_otel_attribute_bare"):
        ko_conf.apply_transform(ko.transforms[name], fields)
    assert fields["event_name"] == "user.login"
    assert fields["event_outcome"] == "failure"
    assert fields["error_type"] == "invalid_credentials"
    assert fields["user_email"] == "j.smith@acme-corp.example"
    assert fields["client_address"] == "198.51.100.9"
    assert fields["user_agent_original"] == "curl/8.5.0"
    assert fields["auth_attempts"] == "3"          # intValue, OTLP/JSON string form
    assert fields["auth_mfa"] == "false"           # boolValue
    assert fields["service_name"] == "thrive-platform"   # resource attribute
    assert fields["thrive_tenant_id"] == "acme-corp"
    assert fields["thrive_log_type"] == "audit"    # scope attribute


def test_otel_attribute_regexes_read_bare_numbers_and_skip_array_values(ko):
    raw = ('{"attributes":[{"key":"http.response.status_code","value":{"intValue":401}},'
           '{"key":"ratio","value":{"doubleValue":0.5}},'
           '{"key":"change.fields","value":{"arrayValue":{"values":[{"stringValue":"job_title"}]}}},'
           '{"key":"ok","value":{"boolValue":true}}]}')
    fields = {"_raw": raw}
    for name in ("sqs_s3_audit_otel_attribute_quoted", "sqs_s3_audit_otel_attribute_bare"):
        ko_conf.apply_transform(ko.transforms[name], fields)
    assert fields["http_response_status_code"] == "401"
    assert fields["ratio"] == "0.5"
    assert fields["ok"] == "true"
    assert "change_fields" not in fields


def test_otel_attribute_regex_keeps_escaped_quotes_inside_a_value(ko):
    raw = json.dumps({"attributes": [{"key": "message", "value": {"stringValue": 'say "hi", ok'}},
                                     {"key": "user.id", "value": {"stringValue": "u1"}}]},
                     separators=(",", ":"))
    fields = {"_raw": raw}
    ko_conf.apply_transform(ko.transforms["sqs_s3_audit_otel_attribute_quoted"], fields)
    assert fields["message"] == r'say \"hi\", ok'
    assert fields["user_id"] == "u1"


def test_log_record_attributes_win_over_resource_attributes_of_the_same_name(ko):
    rec = {"attributes": [{"key": "service.name", "value": {"stringValue": "from-record"}}],
           "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "from-resource"}}]}}
    fields = {"_raw": json.dumps(rec, separators=(",", ":"))}
    ko_conf.apply_transform(ko.transforms["sqs_s3_audit_otel_attribute_quoted"], fields)
    assert fields["service_name"] == "from-record"


def test_every_report_regex_matches_at_least_one_sample_event(ko, samples):
    for st, stanza in ko.props.items():
        for key, value in stanza.items():
            if not key.startswith("REPORT-"):
                continue
            for name in [n.strip() for n in value.split(",")]:
                regex = ko_conf.compile_pcre(ko.transforms[name]["REGEX"])
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
                    ko_conf.parse_eval(value)
                except ko_conf.EvalError as exc:  # pragma: no cover - shows the culprit
                    pytest.fail(f"[{st}] {key}: {exc}")


def _defined_fields(ko, st, samples):
    """Fields that exist for `st` before EVAL: JSON keys of the samples, REPORT
    groups and dynamic keys, FIELDALIAS targets."""
    defined = {"_raw", "sourcetype", "source", "host", "index", "_time", "eventtype", "tag"}
    for _, s, raw, _ in samples:
        if s != st:
            continue
        if st in JSON_SOURCETYPES:
            defined.update(ko_conf.json_fields(raw))
        for _key, value in ko.classes(st, "REPORT"):
            fields = {"_raw": raw}
            for name in [n.strip() for n in value.split(",")]:
                ko_conf.apply_transform(ko.transforms[name], fields)
                defined.update(ko_conf.compile_pcre(ko.transforms[name]["REGEX"]).groupindex)
            defined.update(fields)
    for _key, value in ko.classes(st, "FIELDALIAS"):
        defined.update(dst for _, dst in re.findall(r"(\S+)\s+AS(?:NEW)?\s+(\S+)", value))
    return defined


def test_eval_expressions_read_only_fields_that_exist_for_their_sourcetype(ko, samples):
    for st in SOURCETYPES:
        defined = _defined_fields(ko, st, samples)
        top_level = {f.split(".")[0].split("{")[0] for f in defined}
        allowed_missing = OPTIONAL_THRIVE_ATTRIBUTES if st == "thrive:audit" else set()
        for key, value in ko.classes(st, "EVAL"):
            for ref in ko_conf.eval_field_refs(ko_conf.parse_eval(value)):
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
            _, _, _, outputs = ko_conf.parse_lookup_spec(value)
            lookup_outputs.update(dst for _, dst in outputs)
        eval_outputs = {k[len("EVAL-"):] for k, _ in ko.classes(st, "EVAL")}
        for key, value in ko.classes(st, "EVAL"):
            refs = ko_conf.eval_field_refs(ko_conf.parse_eval(value))
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
        tree = ko_conf.parse_search(stanza["search"])
        sts = [n[3] for n in _terms(tree) if n[1] == "sourcetype"]
        assert len(sts) == 1 and sts[0] in SOURCETYPES, f"{name}: sourcetype {sts}"
        for field in ko_conf.search_field_refs(tree) - {"sourcetype"}:
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


def test_cloudtrail_authentication_eventtype_and_lookup_list_the_same_event_names(ko):
    search = ko.eventtypes["sqs_s3_audit_cloudtrail_authentication"]["search"]
    names = set(re.findall(r"eventName=(\w+)", search))
    _, rows = ko_conf.read_lookup("sqs_s3_audit_cloudtrail_action.csv")
    for name in names:
        got = {(r["status"], r["action"]) for r in rows if r["eventName"] == name}
        assert got == {("success", "success"), ("failure", "failure")}, name
    auth_rows = {r["eventName"] for r in rows if r["authentication_method"]}
    assert auth_rows == names
    change_search = ko.eventtypes["sqs_s3_audit_cloudtrail_change"]["search"]
    assert set(re.findall(r"eventName=(\w+)(?![\w*])", change_search)) == names  # not the read-only verbs Get* ...


def test_thrive_authentication_rows_cover_both_outcomes():
    _, rows = ko_conf.read_lookup("sqs_s3_audit_thrive_event.csv")
    auth = {}
    for r in rows:
        if r["audit_category"] == "authentication":
            auth.setdefault(r["event_name"], set()).add((r["status"], r["action"]))
    assert auth
    for pattern, got in auth.items():
        assert got == {("success", "success"), ("failure", "failure")}, pattern


# ------------------------------------------------------------- CIM results

CIM_EXPECTED = {
    ("cloudtrail_management.json", 0): {
        "eventtype": ["sqs_s3_audit_cloudtrail_authentication"], "tag": ["authentication"],
        "action": "success", "status": "success", "user": "alice", "src": "203.0.113.10",
        "src_ip": "203.0.113.10", "dest": "111122223333", "app": "signin.amazonaws.com",
        "authentication_method": "console_password", "vendor_product": "AWS CloudTrail",
        "user_type": "IAMUser", "vendor_region": "us-east-1", "vendor_account": "111122223333"},
    ("cloudtrail_management.json", 1): {
        "tag": ["authentication"], "action": "failure", "status": "failure", "user": "alice",
        "src": "198.51.100.77", "result": "Failed authentication"},
    ("cloudtrail_management.json", 2): {
        "tag": ["authentication", "privileged"], "action": "success", "user": "root", "user_type": "Root"},
    ("cloudtrail_management.json", 3): {
        "tag": ["authentication"], "action": "success", "user": "alice@example.com",
        "dest": "arn:aws:iam::444455556666:role/DeployRole", "app": "sts.amazonaws.com",
        "authentication_method": "sts_assume_role", "user_type": "AssumedRole"},
    ("cloudtrail_management.json", 4): {
        "tag": ["authentication"], "action": "success", "user": "jorge.souza@example.com",
        "authentication_method": "saml", "user_type": "SAMLUser"},
    ("cloudtrail_management.json", 5): {
        "eventtype": ["sqs_s3_audit_cloudtrail_change", "sqs_s3_audit_cloudtrail_account_management"],
        "tag": ["account", "change"], "action": "created", "status": "success", "object": "bob",
        "object_category": "user", "object_id": "arn:aws:iam::111122223333:user/bob", "change_type": "IAM",
        "user": "alice", "src": "203.0.113.10", "dest": "111122223333", "command": "CreateUser",
        "vendor_product": "AWS CloudTrail"},
    ("cloudtrail_management.json", 6): {
        "tag": ["change"], "action": "acl_modified", "status": "success", "object": "amzn-s3-demo-bucket",
        "object_category": "policy", "object_id": "arn:aws:s3:::amzn-s3-demo-bucket", "change_type": "S3",
        "user": "alice@example.com"},
    ("cloudtrail_management.json", 7): {
        "tag": ["change"], "action": "stopped", "status": "failure", "result": "AccessDenied",
        "object": "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events",
        "object_category": "trail", "change_type": "CLOUDTRAIL", "user": "bob"},
    ("cloudtrail_insight.json", 0): {
        "eventtype": ["sqs_s3_audit_cloudtrail_insight"], "tag": [], "action": None, "status": None,
        "app": "iam.amazonaws.com", "vendor_product": "AWS CloudTrail"},
    ("iru_activity.jsonl", 0): {
        "eventtype": ["sqs_s3_audit_iru_change", "sqs_s3_audit_iru_user_activity"], "tag": ["change"],
        "action": "created", "vendor_action": "create", "status": "success",
        "user": "cf40d6e7-20cb-4da9-84a1-9ad0b7003ca5", "user_type": "user", "actor_category": "person",
        "object": "audit_event_test", "object_id": "2b1fd766-3ba4-49ba-9f88-8219d468b34c",
        "object_category": "blueprint", "object_attrs": None, "vendor_product": "Iru Endpoint"},
    ("iru_activity.jsonl", 1): {
        "action": "modified", "vendor_action": "update", "object": "Wi-Fi – Corporate",
        "object_category": "library_item", "object_attrs": "settings", "actor_category": "person"},
    ("iru_activity.jsonl", 2): {
        "eventtype": ["sqs_s3_audit_iru_change", "sqs_s3_audit_iru_system_activity"], "tag": ["change"],
        "action": "modified", "user": "EDR", "user_type": "kandji", "actor_category": "system",
        "object_category": "device", "dest": "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d"},
    ("iru_activity.jsonl", 3): {"action": "deleted", "vendor_action": "delete", "actor_category": "person"},
    ("iru_activity.jsonl", 4): {"action": "created", "user": "ADE", "actor_category": "system"},
    ("thrive_otlp_logs.json", 0): {
        "eventtype": ["sqs_s3_audit_thrive_authentication"], "tag": ["authentication"],
        "action": "success", "status": "success", "user": "jane.doe@acme-corp.example",
        "user_id": "usr_7f3a9c1e", "src": "203.0.113.24", "dest": "acme-corp", "app": "thrive-platform",
        "authentication_method": "saml", "event_name": "user.login", "vendor_product": "Thrive Learning"},
    ("thrive_otlp_logs.json", 1): {
        "tag": ["authentication"], "action": "failure", "status": "failure",
        "user": "j.smith@acme-corp.example", "src": "198.51.100.9", "reason": "invalid_credentials",
        "severity": "warn"},
    ("thrive_otlp_logs.json", 2): {
        "eventtype": ["sqs_s3_audit_thrive_change", "sqs_s3_audit_thrive_account_management"],
        "tag": ["account", "change"], "action": "modified", "status": "success",
        "object": "jane.doe@acme-corp.example", "object_category": "user", "user": "jane.doe@acme-corp.example"},
    ("thrive_otlp_logs.json", 3): {
        "eventtype": ["sqs_s3_audit_thrive_change"], "tag": ["change"], "action": "modified",
        "object": "SAML single sign-on", "object_category": "configuration",
        "user": "it.admin@acme-corp.example", "src": "2001:db8::1f", "src_ip": "2001:db8::1f"},
    ("thrive_otel_flat.jsonl", 0): {
        "tag": ["authentication"], "action": "success", "user": "sam.lee@acme-corp.example",
        "src": "192.0.2.150", "app": "thrive", "dest": "thrive"},
    ("thrive_otel_flat.jsonl", 1): {"eventtype": [], "tag": [], "audit_category": "session", "action": None},
    ("thrive_otel_flat.jsonl", 2): {
        "tag": ["account", "change"], "action": "acl_modified", "object": "sam.lee@acme-corp.example",
        "object_category": "user", "user": "it.admin@acme-corp.example"},
    ("s3_access.log", 0): {
        "eventtype": ["sqs_s3_audit_s3_access"], "tag": ["web"], "src": "192.0.2.3", "http_method": "GET",
        "status": 200, "uri_path": "/amzn-s3-demo-bucket1", "uri_query": "versioning", "bytes": 113,
        "user": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "http_user_agent": "S3Console/0.4", "dest": "amzn-s3-demo-bucket1", "http_referrer": None,
        "site": "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com", "response_time": 7,
        "vendor_product": "Amazon S3 server access logs"},
    ("s3_access.log", 2): {
        "eventtype": ["sqs_s3_audit_s3_access", "sqs_s3_audit_s3_access_denied"], "tag": ["web"],
        "status": 403, "user": "anonymous", "error_code": "AccessDenied", "bytes": 243,
        "http_referrer": "https://evil.example/landing page.html"},
    ("s3_access.log", 3): {"http_method": "PUT", "bytes": 0, "status": 200, "src": "10.20.30.40"},
    ("s3_access.log", 4): {"eventtype": [], "tag": [], "src": None, "status": None, "user": "AmazonS3"},
    ("s3_access.log", 5): {"status": 404, "error_code": "NoSuchKey", "http_method": "DELETE",
                           "site": None, "user": "arn:aws:iam::111122223333:user/bob"},
}


@pytest.mark.parametrize("sample_file,index", sorted(CIM_EXPECTED))
def test_sample_event_gets_the_expected_cim_fields_eventtypes_and_tags(processed, sample_file, index):
    fields = events_of(processed, sample_file)[index]
    for name, value in CIM_EXPECTED[(sample_file, index)].items():
        got = fields.get(name)
        if isinstance(got, list) and name not in ("eventtype", "tag"):
            got = got[0] if len(got) == 1 else got
        assert got == value, f"{sample_file}[{index}] {name}: {got!r} != {value!r}"


def test_every_authentication_event_has_the_cim_authentication_fields(processed):
    seen = 0
    for name, _st, raw, fields in processed:
        if "authentication" in fields["tag"]:
            seen += 1
            assert fields.get("action") in ("success", "failure"), (name, raw[:80])
            for f in ("user", "src", "dest", "app", "vendor_product"):
                assert fields.get(f), f"{name}: {f} missing"
    assert seen >= 8


# AWS Config records which resource changed, never who changed it (CloudTrail does).
CHANGE_WITHOUT_ACTOR = ("aws:config:notification",)


def test_every_change_event_has_the_cim_change_fields(processed):
    seen = 0
    for name, st, _raw, fields in processed:
        if "change" in fields["tag"]:
            seen += 1
            assert fields.get("action") in CIM_CHANGE_ACTIONS, (name, fields.get("action"))
            assert fields.get("status") in ("success", "failure"), name
            for f in ("user", "object", "object_category", "change_type", "dest", "vendor_product"):
                if f == "user" and st in CHANGE_WITHOUT_ACTOR:
                    assert fields.get(f) is None, name
                    continue
                assert fields.get(f), f"{name}: {f} missing"
    assert seen >= 10


# Web fields each web sourcetype's records carry (ELB/CloudFront logs name no user; WAF
# logs the response status only for custom responses, and no byte counts).
WEB_FIELDS = {
    "aws:s3:accesslogs": ("src", "http_method", "status", "uri_path", "bytes", "user", "http_user_agent", "dest"),
    "aws:elb:accesslogs": ("src", "http_method", "status", "uri_path", "bytes", "dest", "site", "vendor_product"),
    "aws:cloudfront:accesslogs": ("src", "http_method", "status", "uri_path", "bytes", "http_user_agent", "dest",
                                  "site", "vendor_product"),
    "aws:waf": ("src", "http_method", "uri_path", "dest", "action", "vendor_product"),
}


def test_every_web_event_has_the_cim_web_fields(processed):
    seen = {}
    for name, st, raw, fields in processed:
        if "web" in fields["tag"]:
            seen[st] = seen.get(st, 0) + 1
            for f in WEB_FIELDS[st]:
                assert fields.get(f) is not None, f"{name}: {f} missing in {raw}"
    assert seen == {"aws:s3:accesslogs": 5, "aws:elb:accesslogs": 9, "aws:cloudfront:accesslogs": 6, "aws:waf": 4}


def test_iru_system_actors_are_told_apart_from_people(processed):
    by_actor = {(f["actor_type"], f["actor_category"]) for f in events_of(processed, "iru_activity.jsonl")}
    assert by_actor == {("user", "person"), ("kandji", "system")}


# ------------------------------------------------------------- the samples


def test_sample_files_are_valid_real_format_records():
    d = ko_conf.SAMPLES_DIR
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
