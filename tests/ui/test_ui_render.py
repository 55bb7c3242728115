"""The pages render in a real browser, with no console error, and the input form is grouped."""

from __future__ import annotations

#: what the first screen of the input form holds; everything else is in a collapsed group
FIRST_SCREEN = ["name", "account", "iam_role", "sqs_queue_url", "log_type", "index"]
GROUPS = ["Object filters", "AWS region and endpoints", "Checkpoint", "Backfill", "CloudTrail digests", "Advanced"]


def test_every_configuration_tab_and_its_dialogs_render_without_a_console_error(ui):
    ui.open("configuration")
    assert ui.tabs() == ["AWS Accounts", "IAM Roles", "Logging", "Proxy"]
    ui.shot("configuration-accounts")
    assert ui.open_dialog("Add") == "Add AWS Account"
    assert ui.fields() == ["name", "aws_access_key_id", "aws_secret_access_key"]
    ui.shot("dialog-add-account")
    ui.cancel()

    ui.tab("IAM Roles")
    ui.shot("configuration-iam-roles")
    assert ui.open_dialog("Add") == "Add IAM Role"
    assert ui.fields() == ["name", "role_arn", "external_id", "session_duration"]
    ui.shot("dialog-add-iam-role")
    ui.cancel()

    ui.tab("Logging")
    ui.shot("configuration-logging")
    ui.tab("Proxy")
    labels = [e.text for e in ui.find_all('[data-test="control-group"] [data-test="label"]')]
    assert "Remote DNS resolution" not in " ".join(labels)  # no effect for an HTTP proxy: not offered
    ui.shot("configuration-proxy")
    assert ui.console_errors() == []


def test_the_inputs_page_and_the_grouped_input_form_render_without_a_console_error(ui):
    ui.open("inputs")
    ui.shot("inputs")
    assert ui.open_dialog("Create New Input") == "Add SQS-based S3 Input"
    # the first screen: the fields every input needs, nothing else until a group is opened
    assert ui.fields() == FIRST_SCREEN
    assert ui.groups() == {group: False for group in GROUPS}
    ui.shot("dialog-add-input")
    for group in GROUPS:
        ui.expand(group)
    assert "backfill_bucket" in ui.fields() and "cloudtrail_digests" in ui.fields()
    ui.shot("dialog-add-input-all-groups-open", full_dialog=True)
    ui.cancel()
    assert ui.console_errors() == []
