"""Checks on save through the REST handlers splunkd runs: the BUILT ``bin/TA_sqs_s3_audit_rh_*.py``.

splunkd runs a handler script as ``__main__`` with its own Python, in which ``splunk.admin``
is importable. Here the generated script runs the same way, under python3.9 and python3.13,
from an ``etc/apps/TA_sqs_s3_audit`` folder (splunktaucclib takes the app name from the
path), with only splunkd's ``splunk`` package stood in (``tests/splunkd_python``, see its
README). Everything else is real: the generated handler module and its UCC REST model,
splunktaucclib's ``admin_external.handle`` and ``AdminExternalHandler`` (so a wrong base
class or import in ``ta_sqs_s3_audit_rh_checks`` fails here), solnlib and splunklib
writing the stanza and its encrypted fields to the splunkd stand-in, and boto3 calls to
moto server.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from aws_emulator import TEST_KEY_ID, TEST_SECRET
from harness import seed_splunkd
from modinput_runner import APP, pythons
from splunkd_standin import SplunkdStandIn
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPLUNKD_PYTHON = os.path.join(TESTS, "splunkd_python")
KEY = "save-handler-key"
PYTHONS = pythons()

pytestmark = [
    pytest.mark.skipif(not os.path.isfile(os.path.join(APP, "app.manifest")),
                       reason="built app missing: run `make build`"),
    pytest.mark.parametrize("python", sorted(PYTHONS)),
]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """$SPLUNK_HOME with the built app installed (a link) under etc/apps."""
    home = tmp_path_factory.mktemp("splunk_home")
    apps = home / "etc" / "apps"
    apps.mkdir(parents=True)
    (apps / "TA_sqs_s3_audit").symlink_to(APP, target_is_directory=True)
    (home / "var" / "log" / "splunk").mkdir(parents=True)  # there in every Splunk installation
    return home


@pytest.fixture
def splunkd(vendor):
    role_arn = vendor.create_role(f"SaveHandler{time.time_ns() % 10**8}", "save-ext")
    standin = seed_splunkd(SplunkdStandIn(session_key=KEY), role_arn, "save-ext")
    standin.start()
    yield standin
    standin.stop()


def call(python: str, home, standin: SplunkdStandIn, handler: str, action: str, name: str, data=None,
         **env) -> dict:
    """One request to ``bin/TA_sqs_s3_audit_rh_<handler>.py``, as splunkd makes it."""
    script = home / "etc" / "apps" / "TA_sqs_s3_audit" / "bin" / f"TA_sqs_s3_audit_rh_{handler}.py"
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SPLUNKD_PYTHON, "SPLUNK_HOME": str(home),
                   "SPLUNKD_URI": standin.base_url, "PYTHONDONTWRITEBYTECODE": "1",
                   "AWS_EC2_METADATA_DISABLED": "true", **env}
    request = {"action": action, "id": name, "data": data or {}, "session_key": KEY}
    result = subprocess.run([PYTHONS[python], str(script)], input=json.dumps(request), capture_output=True,
                            text=True, timeout=120, env=environment, cwd=str(home), check=False)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] != 500, outcome.get("traceback")
    return outcome


def read(standin: SplunkdStandIn) -> SplunkdConfig:
    return SplunkdConfig(standin.base_url, KEY)


def test_an_account_with_keys_sts_accepts_is_saved_with_its_secret_encrypted(python, installed, splunkd, moto_server):
    outcome = call(python, installed, splunkd, "account", "create", "prod",
                   {"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": TEST_SECRET},
                   AWS_ENDPOINT_URL_STS=moto_server.endpoint)
    assert outcome["status"] == 200 and "prod" in outcome["entries"]
    assert read(splunkd).account("prod") == {"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": TEST_SECRET}
    stored = [r for r in splunkd.request_log if r["method"] == "POST" and "conf-ta_sqs_s3_audit_account" in r["path"]]
    assert stored, "the account was not written through splunktaucclib"


def test_an_account_with_only_one_of_its_keys_is_refused_and_not_saved(python, installed, splunkd):
    outcome = call(python, installed, splunkd, "account", "create", "half",
                   {"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": ""})
    assert outcome["status"] == 400 and outcome["error"] == "ArgValidationException"
    assert "both" in outcome["message"]
    assert not [r for r in splunkd.request_log if r["method"] == "POST"]


def test_an_account_edit_is_checked_with_the_stored_secret_when_the_form_sends_it_masked(
        python, installed, vendor, moto_server):
    """With moto's IAM authentication on, so that a wrong secret is rejected as AWS would."""
    user = f"save-handler-{python}-{time.time_ns() % 10**8}"
    vendor.iam.create_user(UserName=user)
    key = vendor.iam.create_access_key(UserName=user)["AccessKey"]
    standin = SplunkdStandIn(session_key=KEY)
    standin.add_stanza("ta_sqs_s3_audit_account", "stored", fields={"aws_access_key_id": key["AccessKeyId"]},
                       encrypted={"aws_secret_access_key": key["SecretAccessKey"]})
    standin.start()
    try:
        with moto_server.iam_enforced():
            masked = call(python, installed, standin, "account", "edit", "stored",
                          {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": "******"},
                          AWS_ENDPOINT_URL_STS=moto_server.endpoint)
            wrong = call(python, installed, standin, "account", "edit", "stored",
                         {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": "not-it"},
                         AWS_ENDPOINT_URL_STS=moto_server.endpoint)
        kept = read(standin).account("stored")
    finally:
        standin.stop()
    assert masked["status"] == 200
    assert wrong["status"] == 400 and "AWS rejected these keys" in wrong["message"]
    assert kept["aws_secret_access_key"] == key["SecretAccessKey"]


def test_a_role_with_a_malformed_arn_is_refused_naming_the_field_and_a_good_one_is_saved(python, installed, splunkd):
    bad = call(python, installed, splunkd, "iam_role", "create", "r1", {"role_arn": "arn:aws:iam::1:role/x"})
    assert bad["status"] == 400 and bad["message"].startswith("role_arn:")
    good = call(python, installed, splunkd, "iam_role", "create", "r2",
                {"role_arn": "arn:aws:iam::123456789012:role/x", "session_duration": "900", "external_id": "ext-42"})
    assert good["status"] == 200
    role = read(splunkd).iam_role("r2")
    assert role["role_arn"] == "arn:aws:iam::123456789012:role/x" and role["external_id"] == "ext-42"


def _input(moto_server, queue_url: str, **extra) -> dict:
    values = {"account": "acct", "iam_role": "reader", "sqs_queue_url": queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
              "index": "main", "interval": "60"}
    values.update(extra)
    return values


def test_an_input_on_a_missing_queue_is_refused_and_a_readable_one_is_saved_then_disabled_unchecked(
        python, installed, splunkd, vendor, moto_server):
    missing = f"{moto_server.endpoint}/123456789012/gone-{time.time_ns() % 10**6}"
    refused = call(python, installed, splunkd, "sqs_s3_audit", "create", "in1", _input(moto_server, missing))
    assert refused["status"] == 400 and refused["message"].startswith("sqs_queue_url:")
    assert "does not exist" in refused["message"]
    feed = vendor.create_feed(f"save-rh-{python}-{time.time_ns() % 10**8}", f"save-rh-{python}-{time.time_ns() % 10**8}",
                              notify=False)
    saved = call(python, installed, splunkd, "sqs_s3_audit", "create", "in2", _input(moto_server, feed.queue_url))
    assert saved["status"] == 200
    assert read(splunkd).input_stanza("in2")["sqs_queue_url"] == feed.queue_url
    vendor.sqs.delete_queue(QueueUrl=feed.queue_url)  # a broken input can still be turned off
    disabled = call(python, installed, splunkd, "sqs_s3_audit", "edit", "in2", {"disabled": "1"})
    assert disabled["status"] == 200
    assert read(splunkd).input_stanza("in2")["disabled"] == "1"


def test_a_payload_carrying_disabled_is_still_checked_and_ucc_validation_runs_first(
        python, installed, splunkd, vendor, moto_server):
    # Issue 19, finding 11: "disabled" in a payload skipped the checks, whatever else it held.
    feed = vendor.create_feed(f"save-dis-{python}-{time.time_ns() % 10**8}", f"save-dis-{python}-{time.time_ns() % 10**8}",
                              notify=False)
    assert call(python, installed, splunkd, "sqs_s3_audit", "create", "in3",
                _input(moto_server, feed.queue_url))["status"] == 200
    missing = f"{moto_server.endpoint}/123456789012/gone-{time.time_ns() % 10**6}"
    sneaked = call(python, installed, splunkd, "sqs_s3_audit", "edit", "in3",
                   {"disabled": "0", "sqs_queue_url": missing})
    assert sneaked["status"] == 400 and sneaked["message"].startswith("sqs_queue_url:")
    # UCC's own validators (the form's) answer before any AWS call: a queue that does not
    # exist with a source type the form refuses is refused for the source type.
    shaped = call(python, installed, splunkd, "sqs_s3_audit", "create", "in4",
                  dict(_input(moto_server, missing), sourcetype="bad sourcetype!"))
    assert shaped["status"] == 400 and "Not matching the pattern" in shaped["message"], shaped  # UCC's words


def test_the_built_restmap_requires_admin_all_objects_to_write(python):  # noqa: ARG001 - one run per Python is fine
    restmap = open(os.path.join(APP, "default", "restmap.conf"), encoding="utf-8").read()
    for stanza in ("[admin:TA_sqs_s3_audit_configuration]", "[admin:TA_sqs_s3_audit_inputs]"):
        section = restmap.split(stanza, 1)[1].split("\n[", 1)[0]
        for method in ("post", "put", "delete"):
            assert f"capability.{method} = admin_all_objects" in section, (stanza, method)
