"""The AWS error codes the add-on decides by are written once, in ``aws_errors``, and used
the same way by every AWS call (``aws.wrap_error``), the doctor's checks and the checks on save."""

from __future__ import annotations

import ast
import os

import pytest
from botocore.exceptions import ClientError

from sqs_s3_audit_engine import aws, aws_errors
from sqs_s3_audit_engine.doctor import checks
from sqs_s3_audit_engine.aws import is_retryable, wrap_error
from sqs_s3_audit_splunk import save_checks

PACKAGE_BIN = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "package", "bin")
SETS = {name: getattr(aws_errors, name) for name in aws_errors.__all__}
ALL_CODES = frozenset().union(*SETS.values())


def client_error(code: str, status: int = 400, message: str = "denied") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "AnyCall")


def test_the_code_sets_do_not_overlap():
    names = sorted(SETS)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            assert not SETS[first] & SETS[second], (first, second)


def test_checks_and_save_checks_use_the_same_sets_as_aws():
    for module in (aws, checks, save_checks):
        for name in ("DENIED_CODES", "REJECTED_KEY_CODES", "MISSING_QUEUE_CODES"):
            if hasattr(module, name):
                assert getattr(module, name) is SETS[name], f"{module.__name__}.{name}"
    assert checks.UNREACHABLE_CODES is aws_errors.UNREACHABLE_CODES
    assert save_checks.DEFINITIVE_CODES >= aws_errors.DENIED_CODES | aws_errors.REJECTED_KEY_CODES


def test_no_other_module_writes_these_codes_again():
    found = []
    for folder, _, files in os.walk(PACKAGE_BIN):
        for file in files:
            path = os.path.join(folder, file)
            if not file.endswith(".py") or path.endswith(os.path.join("sqs_s3_audit_engine", "aws_errors.py")):
                continue
            tree = ast.parse(open(path, encoding="utf-8").read())
            found += [f"{os.path.relpath(path, PACKAGE_BIN)}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and node.value in ALL_CODES]
    assert not found


@pytest.mark.parametrize("code", sorted(aws_errors.DENIED_CODES))
def test_every_denied_code_gets_a_grant_hint(code):
    error = wrap_error("s3:GetObject", client_error(code, 403), "s3://b/k")
    assert error.hint.startswith("grant s3:GetObject") and not error.retryable


def test_a_kms_denial_asks_for_kms_decrypt():
    error = wrap_error("s3:GetObject", client_error("KMS.AccessDeniedException", 400, "kms:Decrypt denied"), "s3://b/k")
    assert error.hint == "grant kms:Decrypt on the KMS key that encrypts s3://b/k"


@pytest.mark.parametrize("code", sorted(aws_errors.REJECTED_KEY_CODES))
def test_every_rejected_key_code_says_the_keys_are_wrong(code):
    assert "access key id" in wrap_error("sts:GetCallerIdentity", client_error(code, 403)).hint


@pytest.mark.parametrize("code", sorted(aws_errors.MISSING_QUEUE_CODES))
def test_every_missing_queue_code_points_at_the_queue_url(code):
    assert "sqs_queue_url" in wrap_error("sqs:ReceiveMessage", client_error(code, 400)).hint


@pytest.mark.parametrize("code", sorted(aws_errors.RETRYABLE_CODES))
def test_every_retryable_code_is_retried_even_as_a_400(code):
    assert is_retryable(client_error(code, 400))
    assert wrap_error("sqs:ReceiveMessage", client_error(code, 400)).retryable


@pytest.mark.parametrize("code", sorted(ALL_CODES - aws_errors.RETRYABLE_CODES - aws_errors.UNREACHABLE_CODES))
def test_a_refusal_is_not_retried(code):
    assert not is_retryable(client_error(code, 403))


def test_an_invalid_request_is_not_retried_but_a_dropped_connection_is():
    from botocore.exceptions import EndpointConnectionError, ParamValidationError

    assert not is_retryable(ParamValidationError(report="Invalid bucket name \"a\\nb\""))
    assert not wrap_error("s3:GetObject", ParamValidationError(report="Invalid bucket name")).retryable
    assert is_retryable(EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"))
