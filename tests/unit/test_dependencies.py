"""Pinned libraries that had published security advisories stay at a fixed version (issue 19)."""

from __future__ import annotations

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILT_LIB = os.path.join(ROOT, "output", "TA_sqs_s3_audit", "lib")
FIXED = {"pyasn1": (0, 6, 4)}  # advisories against 0.6.1, fixed in 0.6.4


def pins(path: str) -> dict:
    found = {}
    for line in open(os.path.join(ROOT, path), encoding="utf-8"):
        match = re.match(r"^([A-Za-z0-9_.-]+)==([0-9][0-9.]*)\s*(#.*)?$", line.strip())
        if match:
            found[match.group(1).lower()] = tuple(int(p) for p in match.group(2).split("."))
    return found


@pytest.mark.parametrize("path", ["package/lib/requirements.txt", "requirements-dev.txt"])
def test_libraries_with_advisories_are_pinned_at_a_fixed_version(path):
    pinned = pins(path)
    for name, fixed in FIXED.items():
        assert pinned.get(name, (0,)) >= fixed, f"{path}: {name} {pinned.get(name)} < {fixed}"


@pytest.mark.skipif(not os.path.isdir(BUILT_LIB), reason="built app missing: run `make build`")
def test_the_built_lib_ships_the_fixed_pyasn1():
    text = open(os.path.join(BUILT_LIB, "pyasn1", "__init__.py"), encoding="utf-8").read()
    version = tuple(int(p) for p in re.search(r"__version__ = '([0-9.]+)'", text).group(1).split("."))
    assert version >= FIXED["pyasn1"]
