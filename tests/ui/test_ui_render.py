"""The pages render in a real browser, with no console error, and the input form is grouped."""

from __future__ import annotations

import json
import os

import pytest

from modinput_runner import APP

#: what the first screen of the input form holds; everything else is in a collapsed group
#: the UCC these tests (selectors in ucc_pages.py) were written against; requirements-dev.txt pins it
UCC_VERSION = "6.6.0"
FIRST_SCREEN = ["name", "account", "iam_role", "sqs_queue_url", "log_type", "index"]
GROUPS = ["Object filters", "AWS region and endpoints", "Checkpoint", "Backfill", "CloudTrail digests", "Advanced"]


def built_config() -> dict:
    path = os.path.join(APP, "appserver", "static", "js", "build", "globalConfig.json")
    if not os.path.isfile(path):
        pytest.skip("built app missing: run `make build`")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def built_input_fields() -> list[str]:
    return [e["field"] for e in built_config()["pages"]["inputs"]["services"][0]["entity"]]


def test_the_bundle_is_the_ucc_these_tests_were_written_for():
    assert built_config()["meta"]["_uccVersion"] == UCC_VERSION, "check tests/ui/ucc_pages.py against the new UCC"


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
    groups = ui.groups()
    assert set(GROUPS) <= set(groups) and not any(groups.values())  # all collapsed
    ui.shot("dialog-add-input")
    for group in groups:
        ui.expand(group)
    assert sorted(ui.fields()) == sorted(built_input_fields())  # every field is in the first screen or a group
    ui.shot("dialog-add-input-all-groups-open", full_dialog=True)
    ui.cancel()
    assert ui.console_errors() == []


def test_every_input_field_is_on_the_first_screen_or_in_one_group_and_in_the_expanded_row():
    """Without a browser: a field added to globalConfig.json must be given a place in the form."""
    config = built_config()
    service = config["pages"]["inputs"]["services"][0]
    fields = [e["field"] for e in service["entity"]]
    placed = [f for group in service["groups"] for f in group["fields"]]
    assert service["groups"][0]["fields"] == FIRST_SCREEN
    assert all(g.get("options", {}).get("isExpandable") and not g["options"].get("expand")
               for g in service["groups"][1:]), "groups after the first screen start collapsed"
    assert sorted(placed) == sorted(fields), "each field in exactly one group"
    more_info = [m["field"] for m in config["pages"]["inputs"]["table"]["moreInfo"]]
    assert sorted(more_info) == sorted([*fields, "disabled"])
