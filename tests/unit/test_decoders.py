"""Records out of every object shape, whatever the chunk boundaries, in bounded memory."""

from __future__ import annotations

import json

import pytest

from sqs_s3_audit_engine import decoders
from sqs_s3_audit_engine.decoders import BadRecord, Item, decode_auto, decode_json, decode_lines, event_text
from sqs_s3_audit_engine.errors import ObjectError


def pieces(text: str, size: int):
    return [text[i:i + size] for i in range(0, len(text), size)]


def records(text: str, size: int = 7, fn=decode_auto):
    return list(fn(pieces(text, size), "bkt", "key"))


CLOUDTRAIL = {"Records": [
    {"eventVersion": "1.08", "eventID": "e1", "eventTime": "2023-07-19T21:33:41Z", "eventName": "ConsoleLogin",
     "userAgent": "[S3Console/0.4, aws-internal/3]", "requestParameters": None},
    {"eventVersion": "1.08", "eventID": "e2", "eventTime": "2023-07-19T21:33:42Z", "eventName": "AssumeRole",
     "note": "quote \" and <xml> & unicode é"},
]}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 1 << 20])
def test_cloudtrail_records_are_streamed_one_by_one_at_any_chunk_size(size):
    items = records(json.dumps(CLOUDTRAIL), size)
    assert [i.value for i in items] == CLOUDTRAIL["Records"]
    assert all(i.origin == "Records" for i in items)


@pytest.mark.parametrize("indent", [None, 2])
def test_event_text_parses_back_to_exactly_the_source_record(indent):
    for item in records(json.dumps(CLOUDTRAIL, indent=indent)):
        text = event_text(item)
        assert json.loads(text) == item.value
        assert "\n" not in text


def test_compact_source_text_is_kept_as_is():
    compact = json.dumps(CLOUDTRAIL["Records"][1], separators=(",", ":"), ensure_ascii=False)
    [item] = records(compact)
    assert event_text(item) == compact


def test_pretty_printed_document_with_other_keys_first_is_streamed():
    doc = {"count": 2, "next": None, "results": [{"id": 1}, {"id": 2}]}
    items = records(json.dumps(doc, indent=2), 3)
    assert [i.value for i in items] == [{"id": 1}, {"id": 2}]
    assert items[0].origin == "results"


def test_json_lines_give_one_record_per_line_and_a_bad_line_is_reported_not_fatal():
    text = '{"id":1}\n{not json}\n\n{"id":3}\r\n'
    items = records(text, 4)
    assert isinstance(items[1], BadRecord) and items[1].reason == "invalid_json"
    assert [i.value for i in items if isinstance(i, Item)] == [{"id": 1}, {"id": 3}]


def test_top_level_array_gives_one_record_per_element():
    assert [i.value for i in records('[{"a":1}, {"b":2}]', 3)] == [{"a": 1}, {"b": 2}]


def test_single_object_without_record_array_is_one_record():
    [item] = records('{"user": "x", "time": "2024-01-01T00:00:00Z"}')
    assert item.value == {"user": "x", "time": "2024-01-01T00:00:00Z"}


def test_otlp_log_records_carry_their_resource_and_scope():
    doc = {"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "thrive"}}]},
        "scopeLogs": [{"scope": {"name": "audit", "version": "1"}, "logRecords": [
            {"timeUnixNano": "1741105814143192123", "body": {"stringValue": "login"}},
            {"timeUnixNano": "1741105815000000000", "body": {"stringValue": "logout"}},
        ]}],
    }]}
    items = records(json.dumps(doc), 11)
    assert [i.value["body"]["stringValue"] for i in items] == ["login", "logout"]
    assert items[0].value["resource"] == doc["resourceLogs"][0]["resource"]
    assert items[0].value["scope"] == {"name": "audit", "version": "1"}
    parsed = json.loads(event_text(items[0]))
    assert {k: v for k, v in parsed.items() if k not in ("resource", "scope")} == \
        doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]


def test_text_lines_and_text_that_merely_starts_with_a_bracket_are_lines():
    items = records("[2024-01-01 10:00] started\nsecond line\n")
    assert [i.value for i in items] == ["[2024-01-01 10:00] started", "second line"]
    assert all(i.origin == "line" for i in items)


def test_a_cut_record_array_is_an_object_error_after_the_good_records():
    seen = []
    with pytest.raises(ObjectError) as info:
        for item in decode_auto(pieces('{"Records":[{"a":1},{"b":', 4), "bkt", "key"):
            seen.append(item)
    assert seen == [Item({"a": 1}, '{"a":1}', "Records")]
    assert info.value.reason == "invalid_json" and info.value.key == "key"


def test_an_oversize_line_is_skipped_without_holding_it_and_the_next_line_is_read(monkeypatch):
    monkeypatch.setattr(decoders, "MAX_RECORD_CHARS", 100)
    text = '{"a":1}\n{"big":"' + "x" * 1000 + '"}\n{"c":3}\n'
    items = records(text, 16)
    assert isinstance(items[1], BadRecord) and items[1].reason == "record_too_large"
    assert [i.value for i in items if isinstance(i, Item)] == [{"a": 1}, {"c": 3}]


def test_an_oversize_text_line_is_reported(monkeypatch):
    monkeypatch.setattr(decoders, "MAX_RECORD_CHARS", 50)
    items = list(decode_lines(pieces("short\n" + "y" * 500 + "\nafter\n", 8)))
    assert [type(i).__name__ for i in items] == ["Item", "BadRecord", "Item"]


def test_empty_and_blank_objects_have_no_records():
    assert records("") == [] and records(" \n\n ") == []


def test_decode_json_reports_garbage_as_a_bad_record():
    items = list(decode_json(["this is not json"], "b", "k"))
    assert isinstance(items[0], BadRecord)


def test_positions_are_identical_on_every_read():
    text = '{"id":1}\nbad\n{"id":3}\n'
    assert records(text, 3) == records(text, 100)


def test_characters_xml_cannot_carry_are_left_to_the_event_writer_but_json_stays_exact():
    # The XML rule lives in one place, the writer (tests/unit/test_hostile_xml.py).
    [line] = records("bell\x07 and \x00nul\n")
    assert event_text(line) == "bell\x07 and \x00nul"
    for text in ('{"a": "\\ufffe\\uffff"}', '{"a":"\ufffe\uffff"}'):
        [item] = records(text)
        assert event_text(item) == '{"a":"\\ufffe\\uffff"}'
        assert json.loads(event_text(item)) == {"a": "\ufffe\uffff"}


def test_records_cut_by_a_chunk_end_are_parsed_once_and_exactly(monkeypatch):
    """The cursor reads ahead before parsing, so a record straddling two inflated chunks is
    not parsed twice (a failed parse also counts the lines of the whole buffer)."""
    from sqs_s3_audit_engine import text_cursor

    records = [dict(CLOUDTRAIL["Records"][i % len(CLOUDTRAIL["Records"])], n=i) for i in range(3000)]
    text = json.dumps({"Records": records}, separators=(",", ":"))
    chunks = [text[i:i + 100_003] for i in range(0, len(text), 100_003)]  # cuts land inside records
    calls = []
    real = text_cursor._raw_decode

    def counting(buf, pos):
        calls.append(pos)
        return real(buf, pos)

    monkeypatch.setattr(text_cursor, "_raw_decode", counting)
    items = list(decode_json(chunks))
    assert [json.loads(event_text(i)) for i in items] == records
    assert len(calls) == len(records) + 1  # each record once, and the member name "Records"


def _kept_as_is_before(raw: str) -> bool:
    """The compact-source rule as first written: a plain scan of the whole text."""
    return "\n" not in raw and '": ' not in raw and "\t" not in raw and "\r" not in raw


def test_the_compact_source_check_decides_exactly_as_the_plain_scan():
    """The check looks for '": ' only between the first and last space: the same answer
    as scanning the whole text, wherever the spaces and the separator sit."""
    import random

    rng = random.Random(24)
    alphabet = ['"', ":", " ", "a", "{", "}", ",", "\n", "\t", "\r", "é", "日"]
    samples = ['": ', ' ": ', '": x', 'x": ', ' ', '  ', '"', '":', ': ', '" :', 'a": b": c', '{"a":1,"b": 2}',
               '{"a": 1}', '{"a":"x y","b":"p: q"}', '{"a":"x \\": y"}', "", "x" * 50 + '": ' + "y" * 50]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40))) for _ in range(20000)]
    value = {"k": "v"}
    for raw in samples:
        expected = raw if _kept_as_is_before(raw) else '{"k":"v"}'
        assert event_text(Item(value, raw, "")) == expected, repr(raw)


def test_inflated_steps_are_small_enough_that_json_values_need_no_count(monkeypatch):
    """192 KiB inflated steps plus the 64 KiB look-ahead keep every buffer within MAX_VALUES
    characters: the value count (a refusal of records of too many values) is not needed."""
    import gzip
    import io

    from sqs_s3_audit_engine import text_cursor
    from sqs_s3_audit_engine.events import read_records

    records = [dict(CLOUDTRAIL["Records"][i % len(CLOUDTRAIL["Records"])], n=i) for i in range(3000)]
    body = gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode())
    counted = []
    real = text_cursor.values_in
    monkeypatch.setattr(text_cursor, "values_in", lambda *a: counted.append(a[2] - a[1]) or real(*a))
    got = [json.loads(event_text(i)) for i in read_records(io.BytesIO(body), "b", "k.json.gz")]
    assert got == records and len(body) < len(json.dumps(records)) // 4
    assert counted == []
