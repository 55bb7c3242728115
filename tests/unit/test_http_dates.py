"""http_dates: an HTTP date parsed without dateutil gives what botocore's own parser gives;
any other timestamp text goes to botocore's parser; installed on a session, a real answer's
LastModified goes through it."""

from __future__ import annotations

import io

import botocore.session
import pytest
from botocore.utils import parse_timestamp as botocore_parse

from sqs_s3_audit_engine import http_dates
from sqs_s3_audit_engine.http_dates import parse_timestamp


@pytest.mark.parametrize("text", [
    "Wed, 03 Dec 2026 23:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Sat, 29 Feb 2020 12:34:56 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT", "2026-12-03T23:00:00Z", "2026-12-03T23:00:00.123+02:00", "1700000000",
    1700000000, 1700000000.25, "Wed, 03 Dec 2026 23:00:00 +0100", "Wednesday, 03-Dec-26 23:00:00 GMT",
])
def test_same_datetime_as_botocore(text):
    ours, theirs = parse_timestamp(text), botocore_parse(text)
    assert ours == theirs and ours.utcoffset() == theirs.utcoffset()


@pytest.mark.parametrize("text", ["Sun, 29 Feb 2026 23:00:00 GMT", "Wed, 03 Dec 2026 25:00:00 GMT", "not a date"])
def test_what_botocore_refuses_is_refused(text):
    with pytest.raises(ValueError):
        botocore_parse(text)
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_installed_parser_reads_a_getobject_answer(monkeypatch):
    calls = []

    def counting(value):
        calls.append(value)
        return parse_timestamp(value)

    monkeypatch.setattr(http_dates, "parse_timestamp", counting)
    session = botocore.session.Session()
    http_dates.install(session)
    # the parser botocore makes for each answer (endpoint.py), fed a GetObject answer's headers
    output = session.get_service_model("s3").operation_model("GetObject").output_shape
    parser = session.get_component("response_parser_factory").create_parser("rest-xml")
    parsed = parser.parse({"status_code": 200, "headers": {"Last-Modified": "Wed, 03 Dec 2026 23:00:00 GMT",
                                                           "ETag": '"abc"'}, "body": io.BytesIO(b"x")}, output)
    assert calls == ["Wed, 03 Dec 2026 23:00:00 GMT"]
    assert parsed["LastModified"] == botocore_parse("Wed, 03 Dec 2026 23:00:00 GMT")
    assert parsed["LastModified"].tzinfo is not None
