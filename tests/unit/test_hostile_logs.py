"""Every log entry is one line, whatever a key, a message or an exception holds; the file
is solnlib's, named as the contract says, with the redaction filter on."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from modinput_runner import APP, pythons
from sqs_s3_audit_engine.metrics import kv, one_line

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENTRY = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) pid=\d+ thread=\S+ \| ")
FORGED = "2026-01-01 00:00:00,000 INFO pid=1 thread=x | action=object_done bucket=x key=forged.jsonl"
HOSTILE = ["a\rb", "a\nb", "a\r\nb", f"x\n{FORGED}", f"x\r{FORGED}", "t\tab", "esc\x1b[31mred\x1b[0m",
           "nel\x85", "ls\u2028ps\u2029", "bidi\u202egnp.exe", "nul\x00", "del\x7f", "vt\x0bff\x0cfs\x1c"]


@pytest.mark.parametrize("value", HOSTILE)
def test_kv_values_never_hold_a_line_break_or_a_control_character(value):
    line = kv(action="object_done", bucket="b", key=value, detail=value)
    assert line.splitlines() == [line]  # str.splitlines knows every line boundary Unicode has
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", line)
    assert line.startswith("action=object_done bucket=b key=\"")


def test_kv_escapes_are_readable_and_unambiguous():
    assert kv(key="a\rb\nc\td\x1be\u2028") == r'key="a\rb\nc\td\x1be\u2028"'
    assert kv(key='back\\slash "quoted"') == r'key="back\\slash \"quoted\""'
    assert kv(key="plain/key.json.gz", n=3, gone=None) == "key=plain/key.json.gz n=3"
    assert one_line("clean") == "clean"


SCRIPT = r'''
import logging, sys
sys.path[:0] = [sys.argv[1] + "/bin", sys.argv[1] + "/lib"]
from sqs_s3_audit_splunk.logs import RedactingFilter, setup_logger, log_path
from sqs_s3_audit_engine.metrics import kv
hostile = [x.encode("latin-1").decode("unicode_escape") for x in sys.argv[2:]]
redactor = RedactingFilter(["AKIASECRETVALUE1234"])
log = setup_logger("in put/x", "INFO", redactor)
log.debug("not at INFO")
log = setup_logger("in put/x", "DEBUG", redactor)   # the level from the settings, same file
for value in hostile:
    log.info(kv(action="object_done", bucket="b", key=value))
    log.warning("raw message " + value + " secret AKIASECRETVALUE1234")
    try:
        raise ValueError("bad key " + value)
    except ValueError:
        log.exception(kv(action="message_failed", key=value))
log.debug("debug now")
logging.getLogger("botocore.hooks").warning("third party\n" + hostile[3] + " AKIASECRETVALUE1234")
print(log_path("in put/x"))
'''


@pytest.mark.parametrize("python", sorted(pythons()), ids=sorted(pythons()))
def test_the_log_file_has_one_entry_per_line_and_no_forged_entry(python, tmp_path):
    if not os.path.exists(os.path.join(APP, "lib", "solnlib")):
        pytest.skip("built app missing: run `make build`")
    # solnlib opens its file in the locale's encoding: make that ASCII (no UTF-8 mode, no coercion).
    env = dict(os.environ, SPLUNK_HOME=str(tmp_path), LANG="C", LC_ALL="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0",
               PYTHONIOENCODING="utf-8")
    args = [x.encode("unicode_escape").decode("latin-1") for x in HOSTILE + ["é-日本"]]
    run = subprocess.run([pythons()[python], "-c", SCRIPT, APP, *args], env=env, capture_output=True, text=True,
                         encoding="utf-8", timeout=60)
    assert run.returncode == 0, run.stderr
    path = run.stdout.strip()
    assert path == str(tmp_path / "var" / "log" / "splunk" / "ta_sqs_s3_audit_in_put_x.log")
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    lines = text.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert len(lines) == 3 * len(args) + 1  # three entries per value, and the last debug line
    for line in lines:
        assert ENTRY.match(line), line
        assert line.splitlines() == [line] and "\r" not in line
        assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", line)
    assert "not at INFO" not in text and "debug now" in text
    assert "AKIASECRETVALUE1234" not in text and "********" in text
    assert "key=forged.jsonl" in text and not any(line.startswith(FORGED[:24]) for line in lines)
    assert sum("Traceback (most recent call last):" in line for line in lines) == len(args)
    assert "é-日本" in text  # written as UTF-8 whatever the locale
    # Third-party warnings: stderr, one line, redacted.
    third = [line for line in run.stderr.splitlines() if "third party" in line]
    assert len(third) == 1 and "AKIASECRETVALUE1234" not in third[0] and "\\n" in third[0]
    assert "Logging error" not in run.stderr
