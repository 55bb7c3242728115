"""What scripts/check_build.py and its parts (build_fixes.py, build_imports.py) share: the
built app's names and the way they report (a problem line on stderr per failure, an info
line on stdout per change)."""

from __future__ import annotations

import sys

APP_ID = "TA_sqs_s3_audit"
CONF_PREFIX = APP_ID.lower()
INPUT_NAME = "sqs_s3_audit"


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)
        print(f"check_build: FAIL {message}", file=sys.stderr)


def info(message: str) -> None:
    print(f"check_build: {message}")
