#!/usr/bin/env python3
"""Fail unless a splunk-appinspect JSON report has no error, failure or future failure.

Usage: check_appinspect.py REPORT.json

Prints the summary, then one line per failing check with its messages
(file:line and text), and exits 1 when any check ended in ``error``,
``failure`` or ``future_failure``; 2 when the report cannot be read.
"""

from __future__ import annotations

import json
import sys

BAD = ("error", "failure", "future_failure")


def failing_checks(report: dict) -> list[tuple[str, str, list[str]]]:
    found = []
    for app_report in report.get("reports", []):
        for group in app_report.get("groups", []):
            for check in group.get("checks", []):
                if check.get("result") not in BAD:
                    continue
                lines = []
                for message in check.get("messages", []):
                    if message.get("result") not in BAD:
                        continue
                    where = message.get("message_filename") or ""
                    if where and message.get("message_line"):
                        where += f":{message['message_line']}"
                    text = " ".join(str(message.get("message", "")).split())
                    lines.append(f"{where} {text}".strip())
                found.append((check["result"], check.get("name", "?"), lines))
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"check_appinspect: cannot read {argv[1]}: {exc}", file=sys.stderr)
        return 2
    summary = report.get("summary")
    if not isinstance(summary, dict):
        print(f"check_appinspect: {argv[1]} has no summary", file=sys.stderr)
        return 2
    print("AppInspect: " + ", ".join(f"{key} {summary.get(key, 0)}" for key in sorted(summary)))
    bad = failing_checks(report)
    for result, name, lines in bad:
        print(f"{result.upper()} {name}")
        for line in lines:
            print(f"    {line}")
    if bad or any(summary.get(key, 0) for key in BAD):
        print(
            "check_appinspect: FAIL: "
            + ", ".join(f"{summary.get(key, 0)} {key}" for key in BAD),
            file=sys.stderr,
        )
        return 1
    print("check_appinspect: OK (0 errors, 0 failures, 0 future failures)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
