"""AWS CloudTrail knowledge objects (aws:cloudtrail) on AWS's documented records and on
records of other projects' test fixtures, through the search-time emulation in tests/ko/."""

import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ko import read_lookup, testing
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


def test_cloudtrail_timestamp_and_json_settings_match_the_splunk_add_on_for_aws(ko):
    stanza = ko.props["aws:cloudtrail"]
    assert stanza["TIME_PREFIX"] == r"\"eventTime\"\s*\:\s*\""
    assert stanza["TIME_FORMAT"] == "%Y-%m-%dT%H:%M:%S%Z"
    assert stanza["KV_MODE"] == "json"
    assert stanza["TRUNCATE"] == "8388608"


def test_cloudtrail_authentication_eventtype_and_lookup_list_the_same_event_names(ko):
    search = ko.eventtypes["sqs_s3_audit_cloudtrail_authentication"]["search"]
    names = set(re.findall(r"eventName=(\w+)", search))
    _, rows = read_lookup("sqs_s3_audit_cloudtrail_action.csv")
    for name in names:
        got = {(r["status"], r["action"]) for r in rows if r["eventName"] == name}
        assert got == {("success", "success"), ("failure", "failure")}, name
    auth_rows = {r["eventName"] for r in rows if r["authentication_method"]}
    assert auth_rows == names
    change_search = ko.eventtypes["sqs_s3_audit_cloudtrail_change"]["search"]
    assert set(re.findall(r"eventName=(\w+)(?![\w*])", change_search)) == names  # not the read-only verbs Get* ...


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
        "user": "bob", "src_user": "arn:aws:iam::111122223333:user/alice", "src_user_name": "alice",
        "src": "203.0.113.10", "dest": "111122223333", "command": "CreateUser",
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
}


@pytest.mark.parametrize("sample_file,index", sorted(CIM_EXPECTED))
def test_sample_event_gets_the_expected_cim_fields_eventtypes_and_tags(processed, sample_file, index):
    fields = events_of(processed, sample_file)[index]
    for name, value in CIM_EXPECTED[(sample_file, index)].items():
        got = fields.get(name)
        if isinstance(got, list) and name not in ("eventtype", "tag"):
            got = got[0] if len(got) == 1 else got
        assert got == value, f"{sample_file}[{index}] {name}: {got!r} != {value!r}"


def _record(needle):
    path = os.path.join(testing.SAMPLES_DIR, "other_projects", "elastic_cloudtrail.jsonl")
    with open(path, encoding="utf-8") as f:
        return next(json.loads(line) for line in f if needle in line)


def test_sign_in_outcomes_outside_console_login_and_error_code_set_the_status(ko):
    # the documented ConsoleLogin record, with the outcome where SwitchRole and IAM
    # Identity Center sign-ins write theirs
    base = _record('"ConsoleLogin":"Success"')
    switch = dict(base, eventName="SwitchRole", responseElements={"SwitchRole": "Failure"})
    sso = dict(base, eventName="CredentialVerification", eventType="AwsServiceEvent", responseElements=None,
               userIdentity={"type": "IdentityCenterUser", "onBehalfOf": {"userId": "94d00cd8"}},
               additionalEventData={"UserName": "alice@example.com"},
               serviceEventDetails={"CredentialVerification": "Failure"})
    for rec, user in ((switch, "JohnDoe"), (sso, "alice@example.com")):
        fields = ko.search_time("aws:cloudtrail", json.dumps(rec, separators=(",", ":")))
        assert (fields["status"], fields["action"], fields["user"], fields["tag"]) == ("failure", "failure", user, ["authentication"])
