"""Checks on save (Splunk Web) against moto server and the splunkd stand-in.

The handler classes are also run here, with stand-ins for the two modules only splunkd
provides (``splunk.admin`` and splunktaucclib's ``AdminExternalHandler``, which needs it):
what they check on create, edit and enable/disable, and that a refusal is an
``ArgValidationException``. moto accepts any keys, so "AWS rejected these keys" is not shown.
"""

from __future__ import annotations

import os
import py_compile
import sys
import time
import types
import urllib.request

import pytest

from aws_emulator import TEST_KEY_ID, TEST_SECRET
from harness import seed_splunkd
from splunkd_standin import SplunkdStandIn
from sqs_s3_audit_splunk.save_checks import check_account, check_input, check_role
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def splunkd(vendor):
    role_arn = vendor.create_role(f"SaveCheck{time.time_ns() % 10**8}", "save-ext")
    standin = seed_splunkd(SplunkdStandIn(session_key="k"), role_arn, "save-ext")
    standin.start()
    yield SplunkdConfig(standin.base_url, "k")
    standin.stop()


def test_account_keys_are_checked_with_sts_and_empty_keys_mean_the_default_chain(moto_server):
    assert check_account({"aws_access_key_id": "", "aws_secret_access_key": ""}) is None
    assert check_account({"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": TEST_SECRET},
                         sts_endpoint_url=moto_server.endpoint) is None
    assert "both" in check_account({"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": ""})


def test_unreachable_sts_does_not_refuse_a_save():
    assert check_account({"aws_access_key_id": TEST_KEY_ID, "aws_secret_access_key": TEST_SECRET},
                         sts_endpoint_url="http://127.0.0.1:9") is None


def test_role_arn_and_duration_are_checked():
    assert check_role({"role_arn": "arn:aws:iam::123456789012:role/R", "session_duration": "3600"}) is None
    assert check_role({"role_arn": "arn:aws:iam::123:role/R"}).startswith("role_arn:")
    assert check_role({"role_arn": "arn:aws:iam::123456789012:role/R", "session_duration": "60"}).startswith("session_duration:")


def base(moto_server, queue_url, **extra):
    values = {"account": "acct", "iam_role": "reader", "sqs_queue_url": queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint}
    values.update(extra)
    return values


def test_an_input_with_a_readable_queue_is_saved_and_bad_ones_are_refused_naming_the_problem(vendor, moto_server, splunkd):
    feed = vendor.create_feed(f"save-{time.time_ns() % 10**8}", f"save-{time.time_ns() % 10**8}", notify=False)
    assert check_input("in", base(moto_server, feed.queue_url), splunkd) is None
    missing = f"{moto_server.endpoint}/123456789012/no-such-queue-{time.time_ns() % 10**6}"
    assert "NonExistentQueue" in check_input("in", base(moto_server, missing), splunkd)
    assert check_input("in", base(moto_server, feed.queue_url, account="ghost"), splunkd).startswith("account:")
    assert check_input("in", base(moto_server, feed.queue_url, iam_role="ghost"), splunkd).startswith("iam_role:")
    assert check_input("in", base(moto_server, "https://sqs.us-east-1.amazonaws.com/1/q"), splunkd).startswith("sqs_queue_url:")


def test_the_rest_handler_module_compiles_for_splunk():
    py_compile.compile(os.path.join(ROOT, "package", "bin", "ta_sqs_s3_audit_rh_checks.py"), doraise=True)


class _ArgValidationException(Exception):
    pass


class _AdminExternalHandler:
    """The part of splunktaucclib's handler the checks rely on: payload, callerArgs, session key."""

    def __init__(self, payload, name, key):
        self.payload, self.callerArgs, self._key, self.saved = payload, types.SimpleNamespace(id=name), key, []

    def getSessionKey(self):
        return self._key

    def handleCreate(self, _conf_info):
        self.saved.append("create")

    def handleEdit(self, _conf_info):
        self.saved.append("edit")


@pytest.fixture
def handlers(monkeypatch, splunkd):
    admin = types.SimpleNamespace(ArgValidationException=_ArgValidationException)
    external = types.SimpleNamespace(AdminExternalHandler=_AdminExternalHandler,
                                     get_splunkd_endpoint=lambda: splunkd.server_uri)
    for module, value in {"import_declare_test": types.ModuleType("import_declare_test"),
                          "splunk": types.SimpleNamespace(admin=admin), "splunk.admin": admin,
                          "splunktaucclib.rest_handler.admin_external": external}.items():
        monkeypatch.setitem(sys.modules, module, value)
    monkeypatch.delitem(sys.modules, "ta_sqs_s3_audit_rh_checks", raising=False)
    import ta_sqs_s3_audit_rh_checks

    return ta_sqs_s3_audit_rh_checks


def test_the_input_handler_refuses_a_missing_queue_but_always_lets_an_input_be_disabled(handlers, moto_server):
    missing = base(moto_server, f"{moto_server.endpoint}/123456789012/gone-{time.time_ns() % 10**6}")
    create = handlers.InputHandler(missing, "new", "k")
    with pytest.raises(_ArgValidationException, match="sqs_queue_url: .*does not exist"):
        create.handleCreate(None)
    assert create.saved == []
    disable = handlers.InputHandler({"disabled": "1"}, "new", "k")
    disable.handleEdit(None)
    assert disable.saved == ["edit"]


def _set_moto_auth(moto_server, count):
    request = urllib.request.Request(moto_server.endpoint + "/moto-api/reset-auth", data=count.encode(),
                                     method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).read()


def test_the_account_handler_checks_an_edit_with_the_stored_secret_when_the_form_sends_it_masked(
        handlers, vendor, moto_server, monkeypatch):
    """With moto's IAM authentication on, so that a wrong secret is rejected as AWS would."""
    user = f"save-user-{time.time_ns() % 10**8}"
    vendor.iam.create_user(UserName=user)
    key = vendor.iam.create_access_key(UserName=user)["AccessKey"]
    standin = SplunkdStandIn(session_key="k2")
    standin.add_stanza("ta_sqs_s3_audit_account", "stored", fields={"aws_access_key_id": key["AccessKeyId"]},
                       encrypted={"aws_secret_access_key": key["SecretAccessKey"]})
    standin.start()
    monkeypatch.setattr(handlers, "get_splunkd_endpoint", lambda: standin.base_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_server.endpoint)
    masked = handlers.AccountHandler({"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": "******"},
                                     "stored", "k2")
    wrong = handlers.AccountHandler({"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": "not-it"},
                                    "stored", "k2")
    _set_moto_auth(moto_server, "0")
    try:
        masked.handleEdit(None)
        with pytest.raises(_ArgValidationException, match="AWS rejected these keys"):
            wrong.handleEdit(None)
    finally:
        _set_moto_auth(moto_server, "inf")
        standin.stop()
    assert masked.saved == ["edit"] and wrong.saved == []
    half = handlers.AccountHandler({"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": ""}, "new", "k2")
    with pytest.raises(_ArgValidationException, match="both"):
        half.handleCreate(None)


def test_the_role_handler_refuses_a_malformed_arn_naming_the_field(handlers):
    with pytest.raises(_ArgValidationException, match="^role_arn:"):
        handlers.RoleHandler({"role_arn": "arn:aws:iam::1:role/x"}, "r", "k").handleCreate(None)
    ok = handlers.RoleHandler({"role_arn": "arn:aws:iam::123456789012:role/x", "session_duration": "900"}, "r", "k")
    ok.handleCreate(None)
    assert ok.saved == ["create"]
