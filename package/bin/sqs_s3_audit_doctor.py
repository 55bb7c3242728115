#!/usr/bin/env python
"""Check one configured ``sqs_s3_audit`` input from the heavy forwarder and say what to fix.

    sqs_s3_audit_doctor.py --input <name> [--splunkd-uri https://127.0.0.1:8089]

The splunkd session key comes from ``SPLUNK_SESSION_KEY`` or, when unset, from the first
line of standard input. The input stanza, its account, role and proxy are read through
splunkd's REST API exactly as the input reads them. One line per check, starting with
PASS, WARN or FAIL; exit status 0 when nothing failed, 1 otherwise. No secret is printed.
"""

import argparse
import os
import sys

_BIN = os.path.dirname(os.path.abspath(__file__))
for _path in (os.path.join(os.path.dirname(_BIN), "lib"), _BIN):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from sqs_s3_audit_engine.checks import FAIL, CheckResult, run_checks  # noqa: E402
from sqs_s3_audit_engine.config import parse_input  # noqa: E402
from sqs_s3_audit_engine.errors import ConfigError  # noqa: E402
from sqs_s3_audit_splunk.logs import RedactingFilter  # noqa: E402
from sqs_s3_audit_splunk.modinput import load_settings  # noqa: E402
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig, SplunkdConfigError  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Check one sqs_s3_audit input and say what to fix.")
    parser.add_argument("--input", required=True, help="input name (the part after sqs_s3_audit://)")
    parser.add_argument("--splunkd-uri", default="https://127.0.0.1:8089", help="splunkd management URI")
    args = parser.parse_args(argv)

    session_key = os.environ.get("SPLUNK_SESSION_KEY", "").strip() or sys.stdin.readline().strip()
    if not session_key:
        print("FAIL session_key: set SPLUNK_SESSION_KEY or pass the session key on the first line of stdin")
        return 1
    redactor = RedactingFilter([session_key])
    results = []
    try:
        splunkd = SplunkdConfig(args.splunkd_uri, session_key)
        params = splunkd.input_stanza(args.input)
        cfg = parse_input(args.input, params)
        settings = load_settings(splunkd, cfg)
        for secret in (settings.account.secret_access_key, settings.role.external_id if settings.role else "",
                       settings.proxy.password):
            redactor.add(secret)
        results.append(CheckResult("PASS", "configuration", f"input {args.input!r} uses account {cfg.account!r}"
                                   + (f" and IAM role {cfg.iam_role!r}" if cfg.iam_role else "")
                                   + f", queue {cfg.sqs_queue_url}"))
        results += run_checks(cfg, settings.account, settings.role, settings.proxy)
    except SplunkdConfigError as exc:
        results.append(CheckResult(FAIL, "configuration", str(exc)))
    except ConfigError as exc:
        results.append(CheckResult(FAIL, "configuration", f"{exc} (fix it in the input or on the Configuration page)"))
    for result in results:
        print(redactor.redact(result.line()))
    return 1 if any(r.status == FAIL for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
