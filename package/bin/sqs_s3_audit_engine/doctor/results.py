"""The doctor's results: one :class:`CheckResult` per check, PASS, WARN or FAIL."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CheckResult", "PASS", "WARN", "FAIL"]

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome.

    Attributes:
        status: PASS, WARN or FAIL.
        name: the check (``credentials``, ``role``, ``queue``...).
        message: what was found and, unless PASS, what to change.
        code: the AWS error code behind a FAIL ("" otherwise), for callers that decide by it.
    """

    status: str
    name: str
    message: str
    code: str = ""

    def line(self) -> str:
        return f"{self.status} {self.name}: {self.message}"
