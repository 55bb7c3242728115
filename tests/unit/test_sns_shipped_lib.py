"""SNS signatures on the shipped lib alone: under each Python splunkd runs, with no
site-packages, the built app's pure-Python rsa and pyasn1 verify genuine envelopes and refuse a
forged one, with no compiled crypto loaded. Needs ``make build`` (skipped without it).

Envelopes are signed in tests/sns_envelopes.py.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

pytest.importorskip("cryptography")
from modinput_runner import APP, pythons
from sns_envelopes import certificate, envelope

PACKAGE_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "package", "bin")
BUILT_LIB = os.path.join(APP, "lib")


_PURE_LIB_CHECK = r"""
import json, os, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from sqs_s3_audit_engine.errors import NotificationError
from sqs_s3_audit_engine.sns import SnsSignatureValidator
case = json.load(sys.stdin)
check = SnsSignatureValidator(fetch=lambda url: case["pem"].encode())
for doc in case["good"]:
    check(doc)
try:
    check(case["forged"])
except NotificationError as exc:
    assert "does not verify" in str(exc), exc
else:
    raise SystemExit("forged envelope accepted")
lib = os.path.realpath(sys.argv[2])
print(json.dumps({"compiled": sorted(m for m in ("cryptography", "Crypto", "OpenSSL", "_cffi_backend")
                                     if m in sys.modules),
                  "from_lib": sorted(m for m in ("rsa", "pyasn1", "pyasn1_modules")
                                     if os.path.realpath(sys.modules[m].__file__).startswith(lib + os.sep))}))
"""


@pytest.mark.parametrize("python", sorted(pythons()))
def test_the_check_runs_on_the_shipped_pure_python_lib_alone(python):
    """No site-packages (-I -S): the built lib's rsa and pyasn1 verify, with no compiled crypto."""
    if not os.path.isdir(BUILT_LIB):
        pytest.skip("built app missing: run `make build`")
    case = {"pem": certificate().decode(), "good": [envelope("1"), envelope("2", subject=False)],
            "forged": envelope("2", Message="{}")}
    result = subprocess.run([pythons()[python], "-I", "-S", "-B", "-c", _PURE_LIB_CHECK, os.path.abspath(PACKAGE_BIN),
                             BUILT_LIB], input=json.dumps(case), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"compiled": [], "from_lib": ["pyasn1", "pyasn1_modules", "rsa"]}
