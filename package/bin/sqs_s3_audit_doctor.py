#!/usr/bin/env python
"""Check one configured ``sqs_s3_audit`` input from the heavy forwarder and say what to fix.

    sqs_s3_audit_doctor.py --input <name> [--splunkd-uri https://127.0.0.1:8089]

The splunkd session key comes from ``SPLUNK_SESSION_KEY`` or, when unset, from the first
line of standard input. The input stanza, its account, role and proxy are read through
splunkd's REST API exactly as the input reads them. One line per check, starting with
PASS, WARN or FAIL (control characters and line breaks in what it reports are escaped);
exit status 0 when nothing failed, 1 otherwise. No secret is printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

_BIN = os.path.dirname(os.path.abspath(__file__))
for _path in (os.path.join(os.path.dirname(_BIN), "lib"), _BIN):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from sqs_s3_audit_engine.aws_clients import botocore_config
from sqs_s3_audit_engine.doctor.checks import FAIL, PASS, WARN, CheckResult, check_senders, run_checks
from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.metrics import one_line
from sqs_s3_audit_splunk.logs import RedactingFilter
from sqs_s3_audit_splunk.settings import load_settings
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig, SplunkdConfigError

DEFAULT_SPLUNKD_URI = "https://127.0.0.1:8089"


def read_session_key() -> str:
    """``SPLUNK_SESSION_KEY``, else the first line of stdin (as ``splunk cmd`` or a pipe gives it)."""
    key = os.environ.get("SPLUNK_SESSION_KEY", "").strip()
    if key:
        return key
    try:
        return sys.stdin.readline().strip() if sys.stdin else ""
    except (OSError, ValueError):
        return ""


def diagnose(input_name: str, splunkd_uri: str, session_key: str, redactor: RedactingFilter) -> list:
    """The configuration line, then the AWS checks (none when the configuration is unusable)."""
    try:
        splunkd = SplunkdConfig(splunkd_uri, session_key)
        params = splunkd.input_stanza(input_name)
        cfg = parse_input(input_name, params)
        settings = load_settings(splunkd, cfg)
        for secret in settings.secrets():
            redactor.add(secret)
        botocore_config(settings.proxy)  # refuses proxy types the AWS SDK cannot use
    except SplunkdConfigError as exc:
        return [CheckResult(FAIL, "configuration", str(exc))]
    except ConfigError as exc:
        return [CheckResult(FAIL, "configuration", f"{exc} (fix it in the input or on the Configuration page)")]
    uses = f"input {input_name!r} uses account {cfg.account!r}"
    uses += f" and IAM role {cfg.iam_role!r}" if cfg.iam_role else ""
    uses += f", bucket IAM role {cfg.bucket_iam_role!r} for S3 and KMS" if cfg.bucket_iam_role else ""
    uses += f", queue {cfg.sqs_queue_url} in {cfg.region}"
    uses += f", proxy {settings.proxy.display()}" if settings.proxy.enabled else ""
    uses += "; " + check_senders(cfg).message  # what it accepts from whoever can send to the queue
    results = [CheckResult(PASS, "configuration", uses)]
    if str(params.get("disabled", "")).strip().lower() in ("1", "true", "yes", "t"):
        results.append(CheckResult(WARN, "input", f"{input_name!r} is disabled: enable it on the Inputs page"))
    return results + run_checks(cfg, settings)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Check one sqs_s3_audit input and say what to fix.")
    parser.add_argument("--input", required=True, help="input name (the part after sqs_s3_audit://)")
    parser.add_argument("--splunkd-uri", default=DEFAULT_SPLUNKD_URI,
                        help=f"splunkd management URI ({DEFAULT_SPLUNKD_URI})")
    args = parser.parse_args(argv)
    # Libraries' own log lines (solnlib retries a missing optional conf file with a traceback)
    # would bury the report on stderr; every finding is a PASS/WARN/FAIL line on stdout.
    logging.getLogger().addHandler(logging.NullHandler())

    session_key = read_session_key()
    if not session_key:
        print("FAIL session_key: set SPLUNK_SESSION_KEY or pass the session key on the first line of stdin")
        return 1
    redactor = RedactingFilter([session_key])
    try:
        results = diagnose(args.input, args.splunkd_uri, session_key, redactor)
    except Exception as exc:  # noqa: BLE001 - one FAIL line instead of a traceback
        results = [CheckResult(FAIL, "doctor", f"unexpected {type(exc).__name__}: {exc}")]
    for result in results:
        # One printed line per check, whatever a key, an ARN or an AWS message holds.
        print(one_line(redactor.redact(result.line())), flush=True)
    return 1 if any(r.status == FAIL for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
