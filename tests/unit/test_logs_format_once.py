"""The input's log entries are formatted once, though the rotating file handler formats a
record to measure it before writing it (one entry per object is logged on the hot path)."""

from __future__ import annotations

import logging
import logging.handlers

from sqs_s3_audit_splunk.logs import OneLineFormatter, RedactingFilter


class CountedArg:
    def __init__(self):
        self.calls = 0

    def __str__(self) -> str:
        self.calls += 1
        return "key=a\nb"


def test_a_record_is_formatted_once_and_written_on_one_line_and_the_file_still_rotates(tmp_path):
    path = tmp_path / "input.log"
    handler = logging.handlers.RotatingFileHandler(str(path), maxBytes=400, backupCount=1, encoding="utf-8")
    handler.setFormatter(OneLineFormatter("%(levelname)s | %(message)s"))
    log = logging.getLogger("test_logs_format_once")
    log.propagate = False
    log.addHandler(handler)
    try:
        arg = CountedArg()
        log.warning("action=object_done %s", arg)
        assert arg.calls == 1
        assert path.read_text(encoding="utf-8") == "WARNING | action=object_done key=a\\nb\n"
        for _ in range(20):
            log.warning("action=object_done %s", "x" * 40)
        assert (tmp_path / "input.log.1").exists() and path.stat().st_size <= 400
    finally:
        log.removeHandler(handler)
        handler.close()


def test_two_formatters_of_one_record_each_give_their_own_text():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "action=%s", ("done",), None)
    assert OneLineFormatter("%(message)s").format(record) == "action=done"
    assert OneLineFormatter("%(levelname)s %(message)s").format(record) == "INFO action=done"


def test_secrets_added_later_are_still_redacted_longest_first():
    redactor = RedactingFilter(["abcd"])
    redactor.add("abcdefgh")
    assert redactor.redact("x abcdefgh y abcd") == "x ******** y ********"  # not "********efgh"
