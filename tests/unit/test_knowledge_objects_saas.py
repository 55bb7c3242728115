"""Iru Endpoint activity and Thrive audit (OpenTelemetry) knowledge objects on the
documented sample events, through the search-time emulation in tests/ko/."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ko import apply_transform, extract_time, read_lookup, testing
from ko.testing import events_of


@pytest.fixture(scope="module")
def ko():
    return testing.knowledge_objects()


@pytest.fixture(scope="module")
def samples():
    return testing.samples()


@pytest.fixture(scope="module")
def processed():
    return testing.processed()


def test_thrive_time_prefers_time_unix_nano_and_falls_back_to_observed_time_like_the_input(ko):
    stanza = ko.props["thrive:audit"]
    raw = '{"observedTimeUnixNano":"1741105814999999999","timeUnixNano":"1741105814000000000"}'
    assert extract_time(stanza, raw) == 1741105814.0
    bare = '{"timeUnixNano":1741105814500000000}'
    assert extract_time(stanza, bare) == 1741105814.5
    unset = '{"timeUnixNano":"0","severityNumber":9,"observedTimeUnixNano":"1741105815250000000"}'
    assert extract_time(stanza, unset) == 1741105815.25


def test_otel_attribute_regexes_extract_string_int_and_bool_attributes(ko, samples):
    thrive = [raw for name, st, raw, _ in samples if name == "thrive_otlp_logs.json"]
    fields = {"_raw": thrive[1]}
    for name in ("sqs_s3_audit_otel_attribute_quoted", "sqs_s3_audit_otel_attribute_bare"):
        apply_transform(ko.transforms[name], fields)
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
        apply_transform(ko.transforms[name], fields)
    assert fields["http_response_status_code"] == "401"
    assert fields["ratio"] == "0.5"
    assert fields["ok"] == "true"
    assert "change_fields" not in fields


def test_otel_attribute_regex_keeps_escaped_quotes_inside_a_value(ko):
    raw = json.dumps({"attributes": [{"key": "message", "value": {"stringValue": 'say "hi", ok'}},
                                     {"key": "user.id", "value": {"stringValue": "u1"}}]},
                     separators=(",", ":"))
    fields = {"_raw": raw}
    apply_transform(ko.transforms["sqs_s3_audit_otel_attribute_quoted"], fields)
    assert fields["message"] == r'say \"hi\", ok'
    assert fields["user_id"] == "u1"


def test_log_record_attributes_win_over_resource_attributes_of_the_same_name(ko):
    rec = {"attributes": [{"key": "service.name", "value": {"stringValue": "from-record"}}],
           "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "from-resource"}}]}}
    fields = {"_raw": json.dumps(rec, separators=(",", ":"))}
    apply_transform(ko.transforms["sqs_s3_audit_otel_attribute_quoted"], fields)
    assert fields["service_name"] == "from-record"


def test_thrive_authentication_rows_cover_both_outcomes():
    _, rows = read_lookup("sqs_s3_audit_thrive_event.csv")
    auth = {}
    for r in rows:
        if r["audit_category"] == "authentication":
            auth.setdefault(r["event_name"], set()).add((r["status"], r["action"]))
    assert auth
    for pattern, got in auth.items():
        assert got == {("success", "success"), ("failure", "failure")}, pattern


def test_iru_system_actors_are_told_apart_from_people(processed):
    by_actor = {(f["actor_type"], f["actor_category"]) for f in events_of(processed, "iru_activity.jsonl")}
    assert by_actor == {("user", "person"), ("kandji", "system")}


CIM_EXPECTED = {
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
}


@pytest.mark.parametrize("sample_file,index", sorted(CIM_EXPECTED))
def test_sample_event_gets_the_expected_cim_fields_eventtypes_and_tags(processed, sample_file, index):
    fields = events_of(processed, sample_file)[index]
    for name, value in CIM_EXPECTED[(sample_file, index)].items():
        got = fields.get(name)
        if isinstance(got, list) and name not in ("eventtype", "tag"):
            got = got[0] if len(got) == 1 else got
        assert got == value, f"{sample_file}[{index}] {name}: {got!r} != {value!r}"
