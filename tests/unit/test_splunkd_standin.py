"""The splunkd stand-in answers what real solnlib and splunklib request, as splunkd does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _add_paths() -> None:
    for path in (os.path.join(ROOT, "scripts"), os.path.join(ROOT, "package", "bin")):
        if path not in sys.path:
            sys.path.insert(0, path)


_add_paths()

requests = pytest.importorskip("requests")
pytest.importorskip("solnlib")
pytest.importorskip("splunklib")

from solnlib.conf_manager import ConfManager
from solnlib.credentials import CredentialManager
from solnlib.soln_exceptions import ConfManagerException, ConfStanzaNotExistException
from splunklib import binding
from splunkd_standin import (
    CRED_END_MARK,
    CRED_SEP,
    ENCRYPTED_TOKEN,
    SplunkdStandIn,
    ucc_realm,
)

APP = "TA_sqs_s3_audit"
KEY = "test-session-key-0123456789"
ACCOUNT_CONF = "ta_sqs_s3_audit_account"
NS = f"/servicesNS/nobody/{APP}"
ATOM = "{http://www.w3.org/2005/Atom}"
REST = "{http://dev.splunk.com/ns/rest}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


@pytest.fixture
def splunkd():
    with SplunkdStandIn(session_key=KEY, app=APP) as server:
        yield server


def conf_manager(server: SplunkdStandIn, conf: str, session_key: str = KEY) -> ConfManager:
    return ConfManager(
        session_key, APP, scheme="http", host="127.0.0.1", port=server.port, realm=ucc_realm(APP, conf)
    )


def get(server: SplunkdStandIn, path: str, key: str | None = KEY, **params):
    headers = {"Authorization": f"Splunk {key}"} if key is not None else {}
    return requests.get(server.base_url + path, params=params, headers=headers, timeout=10)


def error_message(response) -> tuple[str, str]:
    msg = ET.fromstring(response.content).find("./messages/msg")
    return msg.get("type"), msg.text


def titles(response) -> list[str]:
    return [e.findtext(f"{ATOM}title") for e in ET.fromstring(response.content).findall(f"{ATOM}entry")]


def test_start_returns_a_loopback_base_url_on_a_free_port():
    server = SplunkdStandIn(session_key=KEY)
    base_url = server.start()
    try:
        assert base_url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0
    finally:
        server.stop()


def test_solnlib_reads_a_plain_stanza_with_its_acl(splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIAEXAMPLE"})
    stanza = conf_manager(splunkd, ACCOUNT_CONF).get_conf(ACCOUNT_CONF).get("prod")
    assert stanza["aws_access_key_id"] == "AKIAEXAMPLE"
    assert stanza["disabled"] == "0"
    assert stanza["eai:appName"] == APP
    assert stanza["eai:access"]["owner"] == "nobody"


@pytest.mark.parametrize("path", ["requests", "http.client"])
def test_both_of_splunklibs_http_paths_read_a_stanza(splunkd, path):
    """solnlib's requests handler (what the add-on ships and splunkd runs) and splunklib's
    own http.client handler (the fallback when requests does not import) both work."""
    from solnlib.splunk_rest_client import SplunkRestClient
    from splunklib import client

    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIAEXAMPLE"})
    if path == "requests":
        service = SplunkRestClient(KEY, APP, scheme="http", host="127.0.0.1", port=splunkd.port)
        agent = "solnlib/"
    else:
        service = client.Service(scheme="http", host="127.0.0.1", port=splunkd.port, token=f"Splunk {KEY}",
                                 app=APP, owner="nobody", handler=binding.handler())
        agent = "splunk-sdk-python/"
    assert service.confs[ACCOUNT_CONF]["prod"].content["aws_access_key_id"] == "AKIAEXAMPLE"
    assert splunkd.request_log and all(r["user_agent"].startswith(agent) for r in splunkd.request_log)


def test_data_inputs_serve_the_inputs_conf_stanzas_of_their_kind(splunkd):
    """What splunktaucclib's DataInputModel does on the Inputs page: create, read, disable."""
    base = f"{splunkd.base_url}{NS}/data/inputs/sqs_s3_audit"
    auth = {"Authorization": f"Splunk {KEY}"}
    created = requests.post(base, data={"name": "ct", "account": "prod", "output_mode": "json"}, headers=auth,
                            timeout=10)
    assert created.status_code == 201 and created.json()["entry"][0]["name"] == "ct"
    assert conf_manager(splunkd, "inputs").get_conf("inputs").get("sqs_s3_audit://ct")["account"] == "prod"
    requests.post(f"{base}/ct/disable", data={"output_mode": "json"}, headers=auth, timeout=10).raise_for_status()
    one = requests.get(f"{base}/ct", params={"output_mode": "json"}, headers=auth, timeout=10).json()["entry"]
    assert [(e["name"], e["content"]["disabled"]) for e in one] == [("ct", True)]  # JSON: a boolean, as splunkd
    assert requests.get(f"{base}/other", headers=auth, timeout=10).status_code == 404


def test_get_conf_checks_the_conf_exists_in_properties(splunkd):
    splunkd.add_conf(ACCOUNT_CONF)
    conf_manager(splunkd, ACCOUNT_CONF).get_conf(ACCOUNT_CONF)
    assert ("GET", f"{NS}/properties/{ACCOUNT_CONF}") in splunkd.requests
    with pytest.raises(ConfManagerException):
        conf_manager(splunkd, "no_such_conf").get_conf("no_such_conf")
    assert get(splunkd, f"{NS}/properties/no_such_conf").status_code == 404


def test_missing_stanza_answers_404_with_splunkds_error_body(splunkd):
    splunkd.add_conf(ACCOUNT_CONF)
    response = get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}/ghost")
    assert response.status_code == 404
    assert error_message(response) == ("ERROR", "Could not find object id=ghost")
    with pytest.raises(ConfStanzaNotExistException, match="ghost"):
        conf_manager(splunkd, ACCOUNT_CONF).get_conf(ACCOUNT_CONF).get("ghost")


@pytest.mark.parametrize("key", ["wrong-key", None])
def test_a_wrong_or_missing_session_key_answers_401_with_splunkds_error_body(splunkd, key):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIAEXAMPLE"})
    response = get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}", key=key)
    assert response.status_code == 401
    assert error_message(response) == ("WARN", "call not properly authenticated")
    assert "AKIAEXAMPLE" not in response.text


def test_splunklib_raises_an_authentication_error_for_a_wrong_session_key(splunkd):
    splunkd.add_conf(ACCOUNT_CONF)
    from solnlib.splunk_rest_client import SplunkRestClient

    service = SplunkRestClient("wrong-key", APP, scheme="http", host="127.0.0.1", port=splunkd.port)
    with pytest.raises(binding.AuthenticationError) as caught:
        ACCOUNT_CONF in service.confs  # noqa: B015 - the request is the point
    assert caught.value.status == 401


def test_encrypted_fields_are_stored_the_ucc_way(splunkd):
    splunkd.add_stanza(
        ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIAEXAMPLE"}, encrypted={"aws_secret_access_key": "s3cr3t"}
    )
    assert splunkd.stanza(ACCOUNT_CONF, "prod")["aws_secret_access_key"] == ENCRYPTED_TOKEN
    entries = splunkd.password_entries(ucc_realm(APP, ACCOUNT_CONF))
    assert [e["username"] for e in entries] == [f"prod{CRED_SEP}1", f"prod{CRED_SEP}2"]
    assert json.loads(entries[0]["clear_password"]) == {"aws_secret_access_key": "s3cr3t"}
    assert entries[1]["clear_password"] == CRED_END_MARK


def test_an_empty_encrypted_field_stays_empty_and_stores_no_credential(splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "chain", {"aws_access_key_id": ""}, encrypted={"aws_secret_access_key": ""})
    assert splunkd.stanza(ACCOUNT_CONF, "chain")["aws_secret_access_key"] == ""
    assert splunkd.password_entries(ucc_realm(APP, ACCOUNT_CONF)) == []


def test_a_long_secret_is_chunked_exactly_as_solnlib_writes_it(splunkd):
    secret = "K" * 600
    realm = ucc_realm(APP, ACCOUNT_CONF)
    splunkd.add_conf(ACCOUNT_CONF)
    # solnlib (as UCC's REST handler does) writes the stanza and its credential.
    conf_manager(splunkd, ACCOUNT_CONF).get_conf(ACCOUNT_CONF).update(
        "prod", {"aws_access_key_id": "AKIA", "aws_secret_access_key": secret}, ["aws_secret_access_key"]
    )
    written_by_solnlib = splunkd.password_entries(realm)
    stanza_by_solnlib = splunkd.stanza(ACCOUNT_CONF, "prod")
    # The stand-in's own seeding must give the same bytes.
    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIA"}, encrypted={"aws_secret_access_key": secret})
    assert splunkd.password_entries(realm) == written_by_solnlib
    assert splunkd.stanza(ACCOUNT_CONF, "prod") == stanza_by_solnlib
    assert len(written_by_solnlib) == 4  # 3 pieces of at most 255 characters and the end mark
    assert all(len(e["clear_password"]) <= 255 for e in written_by_solnlib)


def test_credential_manager_joins_the_chunks_of_a_long_secret(splunkd):
    realm = ucc_realm(APP, ACCOUNT_CONF)
    value = json.dumps({"aws_secret_access_key": "x" * 300, "other": "y" * 300})
    splunkd.set_credential(realm, "prod", value)
    manager = CredentialManager(KEY, APP, realm=realm, scheme="http", host="127.0.0.1", port=splunkd.port)
    assert manager.get_password("prod") == value
    assert ("GET", f"{NS}/storage/passwords") in splunkd.requests
    searches = [r["query"].get("search") for r in splunkd.request_log if r["path"].endswith("/storage/passwords")]
    assert [f"realm={realm}"] in searches


def test_storage_passwords_entries_are_named_realm_colon_username(splunkd):
    splunkd.add_password_entry("my:realm", "user", "pw")
    response = get(splunkd, f"{NS}/storage/passwords", count="-1")
    assert titles(response) == ["my\\:realm:user:"]
    content = ET.fromstring(response.content).find(f"{ATOM}entry/{ATOM}content/{REST}dict")
    keys = {k.get("name"): k.text for k in content.findall(f"{REST}key") if k.get("name") != "eai:acl"}
    assert keys["clear_password"] == "pw"
    assert keys["realm"] == "my:realm"
    assert keys["username"] == "user"
    assert keys["password"] == "********"


def test_solnlib_updates_an_existing_credential_in_place(splunkd):
    splunkd.add_conf(ACCOUNT_CONF)
    conf = conf_manager(splunkd, ACCOUNT_CONF).get_conf(ACCOUNT_CONF)
    conf.update("prod", {"aws_secret_access_key": "first"}, ["aws_secret_access_key"])
    conf.update("prod", {"aws_secret_access_key": "second"}, ["aws_secret_access_key"])
    assert conf.get("prod")["aws_secret_access_key"] == "second"


def test_a_stanza_name_with_a_scheme_is_url_encoded_in_the_path(splunkd):
    splunkd.add_stanza("inputs", "sqs_s3_audit://audit", {"account": "prod", "interval": "60"})
    stanza = conf_manager(splunkd, "inputs").get_conf("inputs").get("sqs_s3_audit://audit")
    assert stanza["account"] == "prod"
    assert ("GET", f"{NS}/configs/conf-inputs/sqs_s3_audit%3A%2F%2Faudit") in splunkd.requests


def test_list_honours_count_offset_and_total(splunkd):
    for name in ("a", "b", "c", "d"):
        splunkd.add_stanza(ACCOUNT_CONF, name, {"aws_access_key_id": name.upper()})
    response = get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}", count="2", offset="1")
    assert titles(response) == ["b", "c"]
    feed = ET.fromstring(response.content)
    assert feed.findtext(f"{OPENSEARCH}totalResults") == "4"
    assert feed.findtext(f"{OPENSEARCH}startIndex") == "1"
    assert titles(get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}", count="-1")) == ["a", "b", "c", "d"]
    assert titles(get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}", count="0")) == ["a", "b", "c", "d"]


def test_search_filters_by_field_and_by_any_value(splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIAPROD"})
    splunkd.add_stanza(ACCOUNT_CONF, "dev", {"aws_access_key_id": "AKIADEV"})
    path = f"{NS}/configs/conf-{ACCOUNT_CONF}"
    assert titles(get(splunkd, path, search="aws_access_key_id=AKIADEV")) == ["dev"]
    assert titles(get(splunkd, path, search="akiaprod")) == ["prod"]
    assert titles(get(splunkd, path, search=f"eai:acl.app={APP} name=prod")) == ["prod"]
    conf = conf_manager(splunkd, ACCOUNT_CONF).get_conf(ACCOUNT_CONF)
    assert list(conf.get_all(only_current_app=True)) == ["dev", "prod"]


def test_an_app_shared_stanza_of_another_app_is_not_visible(splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "mine", {"aws_access_key_id": "A"})
    splunkd.add_stanza(ACCOUNT_CONF, "theirs", {"aws_access_key_id": "B"}, app="other_app", sharing="app")
    assert titles(get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}")) == ["mine"]
    assert titles(get(splunkd, f"/servicesNS/-/-/configs/conf-{ACCOUNT_CONF}")) == ["mine", "theirs"]
    assert titles(get(splunkd, f"/servicesNS/nobody/other_app/configs/conf-{ACCOUNT_CONF}")) == ["mine", "theirs"]


def test_output_mode_json_answers_splunkds_json_shape(splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIA"}, encrypted={"aws_secret_access_key": "s"})
    body = get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}/prod", output_mode="json").json()
    entry = body["entry"][0]
    assert entry["name"] == "prod"
    assert entry["acl"]["app"] == APP and entry["acl"]["can_write"] is True
    assert entry["content"]["aws_secret_access_key"] == ENCRYPTED_TOKEN
    assert entry["content"]["disabled"] is False
    assert body["paging"]["total"] == 1
    missing = get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}/ghost", output_mode="json")
    assert missing.status_code == 404
    assert missing.json() == {"messages": [{"type": "ERROR", "text": "Could not find object id=ghost"}]}


def test_every_request_is_recorded_with_method_and_path(splunkd):
    get(splunkd, f"{NS}/configs/conf-{ACCOUNT_CONF}", key="bad")
    get(splunkd, f"{NS}/properties/{ACCOUNT_CONF}")
    assert splunkd.requests == [
        ("GET", f"{NS}/configs/conf-{ACCOUNT_CONF}"),
        ("GET", f"{NS}/properties/{ACCOUNT_CONF}"),
    ]
    assert [r["status"] for r in splunkd.request_log] == [401, 404]


@pytest.mark.parametrize("command", [["-m", "splunkd_standin"], [os.path.join(ROOT, "scripts", "splunkd_standin")]],
                         ids=["python -m splunkd_standin", "python scripts/splunkd_standin"])
def test_the_cli_prints_its_base_url_and_exits_on_sigterm(tmp_path, command):
    seed = {
        ACCOUNT_CONF: {"prod": {"fields": {"aws_access_key_id": "AKIA"}, "encrypted": {"aws_secret_access_key": "s"}}},
        "inputs": {"sqs_s3_audit://audit": {"fields": {"account": "prod"}}},
    }
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed))
    proc = subprocess.Popen(
        [sys.executable, *command, "--seed", str(seed_file), "--session-key", KEY],
        cwd=os.path.join(ROOT, "scripts"),  # -m finds the package in the working directory
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        port = int(base_url.rsplit(":", 1)[1])
        manager = ConfManager(KEY, APP, scheme="http", host="127.0.0.1", port=port, realm=ucc_realm(APP, ACCOUNT_CONF))
        assert manager.get_conf(ACCOUNT_CONF).get("prod")["aws_secret_access_key"] == "s"
        inputs = ConfManager(KEY, APP, scheme="http", host="127.0.0.1", port=port).get_conf("inputs")
        assert inputs.get("sqs_s3_audit://audit")["account"] == "prod"
    finally:
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
