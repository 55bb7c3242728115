"""Timestamps no epoch can hold fall back (None), never raise: decoded as the input decodes them."""

from __future__ import annotations

import pytest

from sqs_s3_audit_engine.decoders import decode_auto
from sqs_s3_audit_engine import logtypes
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.timestamps import (
    access_log_time_to_text,
    aws_log_time_to_text,
    epoch_seconds_text,
    iso8601_to_epoch,
    iso8601_to_text,
    number_to_text,
    unix_nano_to_text,
)


def read_time(log_type: str, text: str):
    (item,) = list(decode_auto([text], "bkt", "key"))
    return logtypes.by_name(log_type).new_reader()(item)


# Python's json accepts NaN, Infinity and -Infinity, and 1e400 decodes to infinity.
@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e30", "-5", "0",
                                    "100000000000000000000000000000000"])
@pytest.mark.parametrize("field", ["timestamp", "time", "timeUnixNano", "date"])
def test_numbers_no_epoch_can_hold_give_no_time_through_the_generic_reader(number, field):
    assert read_time("json", f'{{"{field}": {number}, "a": 1}}') is None


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400", '"1e400"', '"NaN"', "1e30"])
@pytest.mark.parametrize("field", ["timeUnixNano", "observedTimeUnixNano"])
def test_thrive_times_that_are_not_numbers_of_nanoseconds_give_none(number, field):
    assert read_time("thrive_audit", f'{{"{field}": {number}, "body": {{}}}}') is None


@pytest.mark.parametrize("value", [
    "2024-02-30T10:00:00Z",  # February 30: calendar.timegm would roll it over to March 1
    "2023-02-29T10:00:00Z",  # not a leap year
    "2023-13-01T00:00:00Z",  # month 13
    "2023-00-10T00:00:00Z",  # month 0
    "2023-04-31T00:00:00.5Z",
    "0000-01-01T00:00:00Z",  # year 0
    "1969-12-31T23:59:59Z",  # before the epoch
    "9999-12-31T23:59:59-01:00",  # past year 9999 in UTC
    "2023-01-01T24:00:00Z",
    "2023-01-01T23:60:00Z",
    "2023-01-01T23:00:61Z",
])
def test_impossible_or_implausible_dates_give_none(value):
    assert iso8601_to_text(value) is None
    assert iso8601_to_epoch(value) is None
    assert read_time("cloudtrail", f'{{"eventTime": "{value}", "eventID": "x"}}') is None
    assert read_time("iru_activity", f'{{"occurred_at": "{value}"}}') is None


def test_real_dates_next_to_the_limits_still_read():
    assert iso8601_to_text("2024-02-29T10:00:00Z") == "1709200800"
    assert iso8601_to_text("1970-01-01T00:00:00Z") == "0"
    assert iso8601_to_text("9999-12-31T23:59:59Z") == "253402300799"
    assert iso8601_to_text("2016-12-31T23:59:60Z") == "1483228800"  # a leap second
    assert number_to_text(1689802421.5) == "1689802421.500000"


def test_access_log_times_on_impossible_days_give_none():
    assert access_log_time_to_text("30/Feb/2019:00:01:57 +0000") is None
    assert access_log_time_to_text("06/Feb/0000:00:01:57 +0000") is None
    assert access_log_time_to_text("06/Feb/2019:25:01:57 +0000") is None
    assert read_time("s3_access", 'owner bucket [30/Feb/2019:00:01:57 +0000] 1.2.3.4 - REST.GET.OBJECT k "GET / HTTP/1.1" 200') is None


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 10**40, "inf", "nan", [], {}])
def test_unix_nano_never_raises(value):
    assert unix_nano_to_text(value) is None


def test_a_record_with_a_nan_time_is_written_with_the_objects_time():
    import io

    body = io.BytesIO(b'{"timestamp": NaN, "n": 1}\n{"timestamp": 1e400, "n": 2}\n{"timestamp": 1689802421, "n": 3}\n')
    events = ObjectEvents(body, bucket="bkt", key="k.jsonl", fallback_time="1700000000")
    written = list(events)
    assert [stamp for stamp, _ in written] == ["1700000000", "1700000000", "1689802421"]
    assert events.untimed == 2


@pytest.mark.parametrize("value", ["2024-02-30T22:23:00.186641Z", "2018-13-02T22:23:00", "2018-07-02T22:23:99",
                                   "0000-07-02T22:23:00", "2018-07-02T22:23:00.-12345Z", "2018-07-02T25:23:00"])
def test_aws_text_log_times_that_cannot_be_give_none(value):
    assert aws_log_time_to_text(value) is None


def test_aws_text_log_times_still_read():
    assert aws_log_time_to_text("2018-07-02T22:23:00.186641Z") == "1530570180.186641"
    assert aws_log_time_to_text("2018-12-20T02:59:40") == "1545274780"


@pytest.mark.parametrize("value", ["99999999999999999999", "253402300800", "0"])
def test_vpc_flow_start_times_no_epoch_can_hold_give_none(value):
    assert epoch_seconds_text(value) is None
