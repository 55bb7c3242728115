"""Record timestamps become exact epoch text."""

from __future__ import annotations

import pytest

from sqs_s3_audit_engine.timestamps import (
    access_log_time_to_text,
    iso8601_to_epoch,
    iso8601_to_text,
    number_to_text,
    unix_nano_to_text,
)


@pytest.mark.parametrize("value, expected", [
    ("2023-07-19T21:33:41Z", "1689802421"),
    ("2025-03-04T16:30:14.143192Z", "1741105814.143192"),
    ("2025-03-04T16:30:14.1Z", "1741105814.100000"),
    ("2025-03-04T18:30:14+02:00", "1741105814"),
    ("2025-03-04T11:30:14-0500", "1741105814"),
    ("2026-11-22T09:08:51.577427", "1795338531.577427"),
    ("2025-03-04 16:30:14", "1741105814"),
])
def test_iso8601_times_become_epoch_text(value, expected):
    assert iso8601_to_text(value) == expected


@pytest.mark.parametrize("value", ["", "yesterday", None, 12, "2023-13-45T99:00:00Z"])
def test_non_times_give_none(value):
    assert iso8601_to_text(value) is None


def test_unix_nanoseconds_keep_microseconds_exactly():
    assert unix_nano_to_text("1741105814143192999") == "1741105814.143192"
    assert unix_nano_to_text(1741105814000000000) == "1741105814"
    assert unix_nano_to_text("0") is None and unix_nano_to_text(None) is None


def test_access_log_time_honours_the_offset():
    assert access_log_time_to_text("06/Feb/2019:00:01:57 +0000") == "1549411317"
    assert access_log_time_to_text("06/Feb/2019:01:01:57 +0100") == "1549411317"
    assert access_log_time_to_text("06/Foo/2019:00:01:57 +0000") is None


def test_numeric_epochs_in_any_unit():
    assert number_to_text(1549411317) == "1549411317"
    assert number_to_text(1549411317123) == "1549411317.123000"
    assert number_to_text(True) is None


def test_epoch_float_for_metrics():
    assert iso8601_to_epoch("1970-01-01T00:00:01.500Z") == 1.5


def test_remembered_iso_times_give_the_same_text_and_the_memory_stays_bounded():
    from sqs_s3_audit_engine import timestamps

    values = [f"2025-03-04T16:{m:02d}:{s:02d}Z" for m in range(60) for s in range(60)] * 2
    values += ["2025-03-04T16:30:14.143192Z", "2025-03-04T18:30:14+02:00", "2023-13-45T99:00:00Z", "x"]
    first = [iso8601_to_text(v) for v in values]
    again = [iso8601_to_text(v) for v in values]
    assert first == again
    assert first[0] == "1741104000" and first[-4:] == ["1741105814.143192", "1741105814", None, None]
    assert len(timestamps._TEXTS) <= timestamps._TEXTS_MAX
    assert iso8601_to_text({"a": 1}) is None and iso8601_to_text(["2025-03-04T16:30:14Z"]) is None
