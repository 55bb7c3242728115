"""The doctor's printed lines and the checks-on-save messages are one line each, whatever
a key, a name or an AWS message holds."""

from __future__ import annotations

import pytest

import sqs_s3_audit_doctor as doctor
from sqs_s3_audit_engine.doctor.results import FAIL, PASS, WARN, CheckResult
from sqs_s3_audit_splunk import save_checks
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfigError

FORGED = "\nPASS queue: everything is fine\r\n\x1b[2J\u2028"


class RefusingSplunkdStandIn:
    """Stands in for SplunkdConfig: splunkd answers that the account is not there,
    with a message holding line breaks (as a name chosen by someone could)."""

    def account(self, name):
        raise SplunkdConfigError(f"no account {name}{FORGED}")


def test_a_save_refusal_is_one_line():
    params = {"account": "acct", "sqs_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}
    message = save_checks.check_input("in", params, RefusingSplunkdStandIn())
    assert message.startswith("account: no account acct")
    assert message.splitlines() == [message] and "\x1b" not in message
    assert "\\nPASS queue" in message


def test_the_doctor_prints_one_line_per_check(monkeypatch, capsys):
    found = [CheckResult(PASS, "configuration", f"uses queue q{FORGED}"),
             CheckResult(WARN, "objects", f"key x{FORGED}.json"),
             CheckResult(FAIL, "queue", f"AWS said: {FORGED}", "AccessDenied")]
    monkeypatch.setenv("SPLUNK_SESSION_KEY", "session-key-123")
    monkeypatch.setattr(doctor, "diagnose", lambda *_args: found)
    assert doctor.main(["--input", "in"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert [line.split(" ", 1)[0] for line in lines] == ["PASS", "WARN", "FAIL"]
    assert all("\x1b" not in line and "\\n" in line for line in lines)


@pytest.mark.parametrize("value", ["x\ny", "x\ry", "x\x1by", "x\u2029y"])
def test_a_role_refusal_is_one_line(value):
    message = save_checks.check_role({"role_arn": f"arn:aws:iam::123456789012:role/{value}"})
    assert message is not None and message.splitlines() == [message]
