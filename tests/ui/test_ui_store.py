"""What an admin adds and edits in the pages is stored as Splunk stores it: conf stanzas hold
``******`` for every secret, the clear values are only in storage/passwords (realm
``__REST_CREDENTIAL__#TA_sqs_s3_audit#configs/conf-<conf>``), inputs.conf holds the input's
parameters; a secret not retyped in an edit is kept; an input is turned off and on from the table."""

from __future__ import annotations

import json
import time

from aws_emulator import TEST_KEY_ID, TEST_SECRET
from splunkd_standin import CRED_SEP
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig

MASK = "******"
ACCOUNT_CONF, ROLE_CONF, SETTINGS_CONF = "ta_sqs_s3_audit_account", "ta_sqs_s3_audit_iam_role", "ta_sqs_s3_audit_settings"


def realm(conf: str) -> str:
    return f"__REST_CREDENTIAL__#TA_sqs_s3_audit#configs/conf-{conf}"


def stored_secrets(splunkd, conf: str, stanza: str) -> dict:
    """The clear JSON object solnlib keeps for a stanza in storage/passwords (joined from its pieces)."""
    pieces = sorted((e for e in splunkd.password_entries(realm(conf))
                     if e["username"] == stanza or e["username"].startswith(stanza + CRED_SEP)),
                    key=lambda e: e["username"])
    text = "".join(e["clear_password"] for e in pieces)
    text = text[:text.index(CRED_SEP)] if CRED_SEP in text else text
    return json.loads(text) if text else {}


def unique(prefix: str) -> str:
    return f"{prefix}-{time.time_ns() % 10**9}"


def add_account(ui, name: str, key_id: str, secret: str) -> None:
    ui.open("configuration")
    ui.open_dialog("Add")
    ui.fill("name", name)
    ui.fill("aws_access_key_id", key_id)
    ui.fill("aws_secret_access_key", secret)
    ui.submit("Add")
    assert not ui.dialog_open(), ui.form_error()


def test_an_account_role_input_and_proxy_added_in_the_pages_are_stored_as_splunk_stores_them(ui, splunkd, vendor):
    role_arn = vendor.create_role(f"UiReader{time.time_ns() % 10**8}", "ui-external-42")
    feed = vendor.create_feed(unique("ui-bucket"), unique("ui-queue"), notify=False)

    add_account(ui, "prod", TEST_KEY_ID, TEST_SECRET)
    assert ui.cell("prod", "aws_access_key_id") == TEST_KEY_ID
    ui.shot("configuration-accounts-with-prod")

    ui.tab("IAM Roles")
    ui.open_dialog("Add")
    ui.fill("name", "reader")
    ui.fill("role_arn", role_arn)
    ui.fill("external_id", "ui-external-42")
    ui.fill("session_duration", "900")
    ui.submit("Add")
    assert not ui.dialog_open(), ui.form_error()
    assert ui.cell("reader", "role_arn") == role_arn

    ui.open("inputs")
    ui.open_dialog("Create New Input")
    ui.fill("name", "audit")
    ui.choose("account", "prod")
    ui.choose("iam_role", "reader")
    ui.fill("sqs_queue_url", feed.queue_url)
    ui.choose("log_type", "cloudtrail")
    ui.combo("index", "aws_audit")
    ui.expand("Object filters")
    ui.fill("allowed_buckets", feed.bucket)
    ui.expand("Log type rules and CSV")
    ui.fill("log_type_rules", "^alerts/ => json")
    ui.expand("Bucket in another account")
    ui.choose("bucket_iam_role", "reader")
    ui.expand("AWS region and endpoints")
    ui.fill("aws_region", "us-east-1")
    ui.expand("CloudTrail digests")
    ui.choose("cloudtrail_digests", "skip")
    ui.expand("Advanced")
    ui.fill("max_workers", "4")
    ui.shot("dialog-add-input-filled", full_dialog=True)
    ui.submit("Add")
    assert not ui.dialog_open(), ui.form_error()
    details = ui.expand_row("audit")
    ui.shot("inputs-row-expanded")
    assert details["Queue URL"] == feed.queue_url
    assert details["IAM role"] == "reader" and details["Region"] == "us-east-1"
    assert details["Concurrent messages"] == "4" and details["CloudTrail digests"] == "Skip"
    assert details["Checkpoint store"] == "Local files" and details["Log type rules"] == "^alerts/ => json"
    assert details["Bucket IAM role"] == "reader" and details["Allowed buckets"] == feed.bucket

    ui.open("configuration")
    ui.tab("Proxy")
    ui.tick("proxy_enabled")
    ui.fill("proxy_url", "proxy.example.com")
    ui.fill("proxy_port", "3128")
    ui.fill("proxy_username", "svc-proxy")
    ui.fill("proxy_password", "proxy-pass-7")
    ui.shot("configuration-proxy-filled")
    ui.save_page_form("settings")
    assert ui.form_error() == ""

    # conf stanzas: secrets masked
    account = splunkd.stanza(ACCOUNT_CONF, "prod")
    assert account["aws_access_key_id"] == TEST_KEY_ID and account["aws_secret_access_key"] == MASK
    role = splunkd.stanza(ROLE_CONF, "reader")
    assert role["role_arn"] == role_arn and role["external_id"] == MASK and role["session_duration"] == "900"
    proxy = splunkd.stanza(SETTINGS_CONF, "proxy")
    assert proxy["proxy_password"] == MASK
    assert (proxy["proxy_url"], proxy["proxy_port"], proxy["proxy_username"]) == ("proxy.example.com", "3128", "svc-proxy")
    assert proxy["proxy_enabled"] in ("1", "true")
    # the clear values: only in storage/passwords, under the conf's realm
    assert stored_secrets(splunkd, ACCOUNT_CONF, "prod") == {"aws_secret_access_key": TEST_SECRET}
    assert stored_secrets(splunkd, ROLE_CONF, "reader") == {"external_id": "ui-external-42"}
    assert stored_secrets(splunkd, SETTINGS_CONF, "proxy") == {"proxy_password": "proxy-pass-7"}
    clear = SplunkdConfig(splunkd.base_url, splunkd.session_key)
    assert clear.account("prod")["aws_secret_access_key"] == TEST_SECRET
    # the input stanza
    stanza = splunkd.stanza("inputs", "sqs_s3_audit://audit")
    expected = {"account": "prod", "iam_role": "reader", "sqs_queue_url": feed.queue_url, "log_type": "cloudtrail",
                "index": "aws_audit", "aws_region": "us-east-1", "cloudtrail_digests": "skip", "max_workers": "4",
                "cloudtrail_digest_grace": "900", "sqs_batch_size": "10", "interval": "60", "checkpoint_store": "local",
                "log_type_rules": "^alerts/ => json", "bucket_iam_role": "reader", "allowed_buckets": feed.bucket}
    assert {key: stanza.get(key) for key in expected} == expected
    for conf, name in ((ACCOUNT_CONF, "prod"), (ROLE_CONF, "reader"), (SETTINGS_CONF, "proxy"), ("inputs", "sqs_s3_audit://audit")):
        values = " ".join(str(v) for v in splunkd.stanza(conf, name).values())
        assert TEST_SECRET not in values and "ui-external-42" not in values and "proxy-pass-7" not in values
    assert ui.console_errors() == []


def test_an_account_edited_without_retyping_its_secret_keeps_it(ui, splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", fields={"aws_access_key_id": TEST_KEY_ID},
                       encrypted={"aws_secret_access_key": TEST_SECRET})
    new_key_id = "AKIAEXAMPLEUSER00002"
    ui.open("configuration")
    assert ui.edit("prod") == "Update AWS Account"
    assert ui.value("aws_secret_access_key") == MASK  # the form shows the stored secret masked
    ui.fill("aws_access_key_id", new_key_id)
    ui.shot("dialog-update-account")
    ui.submit("Update")
    assert not ui.dialog_open(), ui.form_error()
    sent = [c.data for c in ui.submitted_calls if c.endpoint == "account" and c.action == "edit"]
    assert sent and sent[0].get("aws_secret_access_key", MASK) == MASK  # not retyped: sent masked (or not at all)
    assert ui.cell("prod", "aws_access_key_id") == new_key_id
    assert splunkd.stanza(ACCOUNT_CONF, "prod")["aws_secret_access_key"] == MASK
    assert stored_secrets(splunkd, ACCOUNT_CONF, "prod") == {"aws_secret_access_key": TEST_SECRET}
    assert ui.console_errors() == []


def test_an_input_is_turned_off_and_on_from_the_table(ui, web, splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", fields={"aws_access_key_id": TEST_KEY_ID},
                       encrypted={"aws_secret_access_key": TEST_SECRET})
    splunkd.add_stanza("inputs", "sqs_s3_audit://audit", fields={
        "account": "prod", "sqs_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/audit",
        "index": "main", "interval": "60", "log_type": "auto", "disabled": "0"})
    ui.open("inputs")
    assert ui.status("audit") == "Active"
    assert ui.toggle_status("audit") is False
    ui.wait(lambda: ui.status("audit") == "Inactive", message="row does not say Inactive")
    ui.shot("inputs-disabled")
    assert splunkd.stanza("inputs", "sqs_s3_audit://audit")["disabled"] in ("1", "true")
    assert ui.toggle_status("audit") is True
    ui.wait(lambda: ui.status("audit") == "Active", message="row does not say Active")
    assert splunkd.stanza("inputs", "sqs_s3_audit://audit")["disabled"] in ("0", "false")
    # turning an input off or on runs no check on save (the queue here does not exist)
    assert [c.data for c in web.handler_calls("sqs_s3_audit", "edit")] == [{"disabled": "true"}, {"disabled": "false"}]
    assert ui.console_errors() == []
