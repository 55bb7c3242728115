"""CIM fields, event types and tags of CrowdStrike FDR sensor events, checked offline through
the search-time emulation in tests/ko/ on Elastic's published FDR test lines
(tests/fixtures/samples/README-crowdstrike-fdr.md). Process launches land in
Endpoint.Processes (tags process, report), connections in Network_Traffic (network,
communicate), logons in Authentication."""

from __future__ import annotations

import json
import os

import pytest

from ko import KnowledgeObjects, extract_time

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "samples",
                       "crowdstrike_fdr")
SENSOR = "crowdstrike:events:sensor"


def lines(name):
    with open(os.path.join(SAMPLES, name), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def by_name(name):
    return {json.loads(x)["event_simpleName"] + "/" + json.loads(x)["event_platform"]: x for x in lines(name)}


@pytest.fixture(scope="module")
def ko():
    return KnowledgeObjects()


def test_process_launch_maps_to_endpoint_processes(ko):
    fields = ko.search_time(SENSOR, by_name("data_sensor.jsonl")["ProcessRollup2/Lin"])
    assert fields["eventtype"] == ["sqs_s3_audit_crowdstrike_process"]
    assert sorted(fields["tag"]) == ["process", "report"]
    assert {k: fields[k] for k in ("action", "dest", "process", "process_path", "process_name", "process_id",
                                   "process_guid", "parent_process_guid", "parent_process_name", "process_hash",
                                   "user_id", "vendor_product", "signature")} == {
        "action": "allowed", "dest": "ffffffffcf45409f87ed463b40c368ec",
        "process": "pgbackrest --stanza=main archive-get 000000020004D51F0000009F pg_wal/RECOVERYXLOG",
        "process_path": "/usr/bin/pgbackrest", "process_name": "pgbackrest", "process_id": "73249",
        "process_guid": "38911778380590", "parent_process_guid": "38911774195823", "parent_process_name": "bash",
        "process_hash": "a4f11f04df7aa3ac611dcbdb3e3d934a8f0523ea17b0a41a1809c380efd2d112", "user_id": "114",
        "vendor_product": "CrowdStrike Falcon", "signature": "ProcessRollup2"}


def test_outbound_connection_maps_to_network_traffic_local_side_is_the_source(ko):
    fields = ko.search_time(SENSOR, by_name("data_sensor.jsonl")["NetworkConnectIP4/Lin"])
    assert fields["eventtype"] == ["sqs_s3_audit_crowdstrike_network"]
    assert sorted(fields["tag"]) == ["communicate", "network"]
    assert {k: fields[k] for k in ("action", "direction", "src", "src_ip", "src_port", "dest", "dest_ip",
                                   "dest_port", "transport", "protocol", "dvc")} == {
        "action": "allowed", "direction": "outbound", "src": "67.43.156.14", "src_ip": "67.43.156.14",
        "src_port": "59926", "dest": "67.43.156.14", "dest_ip": "67.43.156.14", "dest_port": "80",
        "transport": "tcp", "protocol": "ip", "dvc": "ffffffffbd064538b214ab0dce8e82c3"}


def test_accepted_connection_maps_to_network_traffic_remote_side_is_the_source(ko):
    fields = ko.search_time(SENSOR, by_name("data_sensor.jsonl")["NetworkReceiveAcceptIP4/Lin"])
    assert fields["eventtype"] == ["sqs_s3_audit_crowdstrike_network"]
    assert {k: fields[k] for k in ("direction", "src", "src_port", "dest", "dest_port", "transport")} == {
        "direction": "inbound", "src": "67.43.156.14", "src_port": "53", "dest": "0.0.0.0", "dest_port": "39920",
        "transport": "udp"}


# No published FDR sample of UserLogon / UserLogonFailed2 was found (README-crowdstrike-fdr.md):
# these two records are written for the test with the field names CrowdStrike documents.
LOGON = {"event_simpleName": "UserLogon", "event_platform": "Win", "ComputerName": "WS-0142",
         "UserName": "jdoe", "UserSid": "S-1-5-21-1004336348-1177238915-682003330-512", "LogonDomain": "CORP",
         "LogonType": "10", "AuthenticationPackage": "Negotiate", "RemoteAddressIP4": "192.0.2.10",
         "aid": "ffffffffcf45409f87ed463b40c368ec", "cid": "ffffffff15754bcfb5f9152ec7ac90ac",
         "ContextTimeStamp": "1625677530.308", "timestamp": "1625677530841"}


def test_logon_and_failed_logon_map_to_authentication(ko):
    ok = ko.search_time(SENSOR, json.dumps(LOGON, separators=(",", ":")))
    failed = ko.search_time(SENSOR, json.dumps(dict(LOGON, event_simpleName="UserLogonFailed2"),
                                               separators=(",", ":")))
    for fields, action in ((ok, "success"), (failed, "failure")):
        assert fields["eventtype"] == ["sqs_s3_audit_crowdstrike_authentication"]
        assert fields["tag"] == ["authentication"]
        assert {k: fields[k] for k in ("action", "user", "user_id", "src", "dest", "app", "authentication_method",
                                       "signature_id")} == {
            "action": action, "user": "jdoe", "user_id": "S-1-5-21-1004336348-1177238915-682003330-512",
            "src": "192.0.2.10", "dest": "WS-0142", "app": "falcon_sensor", "authentication_method": "Negotiate",
            "signature_id": "10"}


def test_a_local_logon_without_remote_address_has_the_host_as_its_source(ko):
    local = {k: v for k, v in LOGON.items() if k != "RemoteAddressIP4"}
    fields = ko.search_time(SENSOR, json.dumps(dict(local, LogonType="2"), separators=(",", ":")))
    assert fields["src"] == "WS-0142" == fields["dest"] and fields["action"] == "success"


def test_other_sensor_events_have_no_cim_event_type_and_name_their_host(ko):
    fields = ko.search_time(SENSOR, by_name("data_sensor.jsonl")["DnsRequest/Mac"])
    assert not fields.get("eventtype") and not fields.get("tag")
    assert fields["dest"] == "ffffffff7ecf4e61bba14ca5ac5d17b1" and fields.get("action") is None


def test_props_time_settings_read_each_sourcetypes_own_field(ko):
    sensor = lines("data_sensor.jsonl")[0]
    assert extract_time(ko.props[SENSOR], sensor) == pytest.approx(1625677502.5)
    assert extract_time(ko.props["crowdstrike:inventory:aidmaster"], lines("aidmaster.jsonl")[0]) == pytest.approx(
        1697992784.144)
    assert extract_time(ko.props["crowdstrike:inventory:userinfo"], lines("userinfo.jsonl")[0]) == pytest.approx(
        1702546168.576)
    for st in ("managedassets", "notmanaged", "appinfo", "userinfo", "aidmaster"):
        assert ko.props[f"crowdstrike:inventory:{st}"]["KV_MODE"] == "json"
