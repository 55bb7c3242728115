"""The doctor's checks and the checks on save reach AWS through what the input runs with.

Issue 18: the clients, the queue, the object store and the checkpoint table the checks use
are built by ``wiring.connect`` (or ``wiring.account_identity`` for an account saved on its
own), the same function ``wiring.build_input`` builds the running input with; the checks
talk to them through the Protocols of ``interfaces.py`` and the wrappers of ``aws.py`` and
``delivery/dynamodb_table.py``. Read from the source with ``ast``: a check that builds its
own client, or calls a raw AWS API the wrappers cover, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BIN = Path(__file__).resolve().parents[2] / "package" / "bin"
CHECKERS = sorted((BIN / "sqs_s3_audit_engine" / "doctor").glob("*.py")) + [
    BIN / "sqs_s3_audit_splunk" / "save_checks.py", BIN / "sqs_s3_audit_doctor.py"]

#: client builders: only wiring (and aws_clients under it) may call them
BUILDERS = {"build_clients", "build_session", "sts_client", "dynamodb_client", "cloudtrail_client", "client",
            "Session", "Queue", "ObjectStore", "CheckpointTable"}
#: raw AWS calls that a wrapper covers (Queue, ObjectStore, Identity, CheckpointTable)
RAW_CALLS = {"receive_message", "change_message_visibility", "get_queue_attributes", "get_object", "head_object",
             "list_objects_v2", "get_paginator", "get_caller_identity", "describe_table", "describe_time_to_live",
             "put_item", "get_item", "update_item", "delete_item"}


def _called_names(path: Path) -> set:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def _imported(path: Path) -> set:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
    return found


@pytest.mark.parametrize("path", CHECKERS, ids=lambda p: p.name)
def test_no_check_builds_a_client_or_calls_a_wrapped_api_itself(path):
    called = _called_names(path)
    assert not called & BUILDERS, f"{path.name} builds {sorted(called & BUILDERS)}: connect through wiring"
    assert not called & RAW_CALLS, f"{path.name} calls {sorted(called & RAW_CALLS)}: use the wrapper"
    imported = _imported(path)
    assert "boto3" not in imported, f"{path.name} imports boto3"
    if path.parent.name == "doctor":
        assert not any(m.endswith("aws_clients") for m in imported), f"{path.name}: clients come from wiring"


def test_the_checks_connect_with_the_function_the_input_is_built_with():
    wiring = (BIN / "sqs_s3_audit_engine" / "wiring.py").read_text(encoding="utf-8")
    build_input = wiring[wiring.index("def build_input"):]
    assert "connect(cfg, settings)" in build_input
    access = (BIN / "sqs_s3_audit_engine" / "doctor" / "access.py").read_text(encoding="utf-8")
    assert "connect(cfg," in access and "account_identity(" in access
