"""The ``csv`` log type on RFC 4180's own examples (RFC 4180, section 2, rules 1-7:
https://www.rfc-editor.org/rfc/rfc4180#section-2), plus what real exports add: a UTF-8 BOM,
files joined with their headers, bad rows, time columns, resuming mid-object."""

from __future__ import annotations

import gzip
import io
import json
import pytest

import ko_conf
from sqs_s3_audit_engine import logtypes
from sqs_s3_audit_engine.decoders import MAX_RECORD_CHARS
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.logtypes.csv_rows import column_names, csv_time

# RFC 4180 section 2: rule 3's header line above the records of rules 1, 5, 6 and 7
# (each rule's example uses the same three fields).
RFC_HEADER = b"field_name,field_name,field_name\r\n"
RFC_RULE_1 = b"aaa,bbb,ccc\r\nzzz,yyy,xxx\r\n"
RFC_RULE_2 = b"aaa,bbb,ccc\r\nzzz,yyy,xxx"  # no line break after the last record
RFC_RULE_5 = b'"aaa","bbb","ccc"\r\nzzz,yyy,xxx'
RFC_RULE_6 = b'"aaa","b\r\nbb","ccc"\r\nzzz,yyy,xxx'
RFC_RULE_7 = b'"aaa","b""bb","ccc"'
COLUMNS = ("field_name", "field_name_2", "field_name_3")


def _read(body: bytes, *, start=0, time_field="", key="k.csv"):
    bad = []
    events = ObjectEvents(io.BytesIO(body), bucket="b", key=key, log_type="csv", start=start, fallback_time="42",
                          on_bad=lambda position, record: bad.append((position, record)),
                          options={"csv_time_field": time_field})
    out = [(stamp, json.loads(data)) for stamp, data in events]
    return out, bad, events


def _rows(*values):
    return [("42", dict(zip(COLUMNS, v))) for v in values]


@pytest.mark.parametrize("records, expected", [
    (RFC_RULE_1, [("aaa", "bbb", "ccc"), ("zzz", "yyy", "xxx")]),
    (RFC_RULE_2, [("aaa", "bbb", "ccc"), ("zzz", "yyy", "xxx")]),
    (RFC_RULE_5, [("aaa", "bbb", "ccc"), ("zzz", "yyy", "xxx")]),
    (RFC_RULE_6, [("aaa", "b\r\nbb", "ccc"), ("zzz", "yyy", "xxx")]),
    (RFC_RULE_7, [("aaa", 'b"bb', "ccc")]),
])
def test_rfc_4180_examples_give_one_event_per_record_with_exact_values(records, expected):
    out, bad, events = _read(RFC_HEADER + records)
    assert out == _rows(*expected)
    assert bad == []
    assert events.sourcetype == "sqs_s3_audit:csv"


def test_data_is_compact_json_in_header_order():
    events = ObjectEvents(io.BytesIO(b"b,a\n1,2\n"), bucket="b", key="k", log_type="csv", fallback_time="1")
    assert [data for _, data in events] == ['{"b":"1","a":"2"}']


def test_a_bom_lf_line_ends_and_empty_lines_are_read():
    out, bad, _ = _read(b"\xef\xbb\xbfa,b\n\n1,2\n\n3,4\n  \n\t\r\n")
    assert [row for _, row in out] == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    assert bad == []


def test_files_joined_with_their_headers_and_boms_skip_the_repeated_headers():
    part = b"\xef\xbb\xbfid,name\r\n1,x\r\n"
    out, bad, events = _read(part + part + b"id,name\r\n2,y\r\n")
    assert [row for _, row in out] == [{"id": "1", "name": "x"}] * 2 + [{"id": "2", "name": "y"}]
    assert bad == []
    assert events.position == 6  # 3 headers, 3 rows: every one a position


def test_a_row_with_the_wrong_field_count_is_a_bad_record_named_by_line_and_the_rest_is_written():
    out, bad, _ = _read(b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
    assert [row["a"] for _, row in out] == ["1", "10"]
    assert [(p, r.reason) for p, r in bad] == [(2, "csv_column_count"), (3, "csv_column_count")]
    assert "line 3: 2 fields where the header names 3 columns" in bad[0][1].detail


@pytest.mark.parametrize("value, stamp", [
    ("2024-03-01T12:00:00Z", "1709294400"),
    ("2024-03-01T13:00:00+01:00", "1709294400"),
    ("2024-03-01 12:00:00.250Z", "1709294400.250000"),
    ("1709294400", "1709294400"),
    ("1709294400123", "1709294400.123000"),
    ("1709294400.5", "1709294400.500000"),
    ("2024-03-01", "1709251200"),  # a date alone: midnight UTC
    ("2024-03-01 12:00:00", "1709294400"),  # no offset: UTC
])
def test_the_time_column_takes_iso_8601_and_epoch_seconds_or_milliseconds(value, stamp):
    assert csv_time(value) == stamp
    out, bad, _ = _read(f"when,what\n{value},x\n".encode(), time_field="when")
    assert out == [(stamp, {"when": value, "what": "x"})] and bad == []


def test_a_bad_time_is_a_bad_record_and_an_empty_one_or_a_missing_column_takes_last_modified():
    out, bad, _ = _read(b"when,what\nyesterday,a\n,b\n2024-03-01T12:00:00Z,c\n", time_field="when")
    assert [(s, r["what"]) for s, r in out] == [("42", "b"), ("1709294400", "c")]
    assert [(p, r.reason) for p, r in bad] == [(1, "bad_time")]
    assert "when='yesterday'" in bad[0][1].detail
    out, bad, _ = _read(b"x\n1\n", time_field="when")
    assert out == [("42", {"x": "1"})] and bad == []


def test_resuming_at_a_position_writes_exactly_the_rest():
    body = RFC_HEADER + b'"a","multi\r\nline","c"\r\nd,e,f\r\ng,h\r\ni,j,k\r\n'
    whole, _, events = _read(body)
    assert events.position == 5
    for start in range(events.position + 1):
        rest, bad, _ = _read(body, start=start)
        # positions: 0 header, 1 row, 2 row, 3 bad, 4 row
        expected = [whole[i] for i, pos in enumerate((1, 2, 4)) if pos >= start]
        assert rest == expected, start
        assert [p for p, _ in bad] == ([3] if start <= 3 else [])


def test_gzipped_csv_is_read_in_chunks_with_a_row_spanning_chunk_boundaries():
    rows = "".join(f'{i},"value with ""quotes"", commas\nand a newline {i}"\r\n' for i in range(20000))
    body = gzip.compress(("n,v\r\n" + rows).encode())
    out, bad, _ = _read(body, key="k.csv.gz")
    assert len(out) == 20000 and bad == []
    assert out[12345][1] == {"n": "12345", "v": 'value with "quotes", commas\nand a newline 12345'}


def test_a_row_longer_than_the_record_limit_is_skipped_to_its_end_and_the_next_row_is_read():
    huge = '"' + "x\n" * (MAX_RECORD_CHARS // 2 + 10) + '"'
    out, bad, _ = _read(f"a,b\n1,{huge}\n2,3\n".encode())
    assert [row for _, row in out] == [{"a": "2", "b": "3"}]
    assert [(p, r.reason) for p, r in bad] == [(1, "record_too_large")]


def test_an_unterminated_quote_swallows_the_rest_as_one_bad_row_as_rfc_4180_reads_it():
    out, bad, _ = _read(b'a,b\n"open,1\n2,3\n')
    assert out == [] and [r.reason for _, r in bad] == ["csv_column_count"]


def test_a_blank_value_of_a_one_column_csv_is_a_row():
    out, bad, _ = _read(b"note\nx\n  \n")
    assert [row for _, row in out] == [{"note": "x"}, {"note": "  "}] and bad == []


def test_empty_and_repeated_column_names_are_kept_apart():
    assert column_names(["id", "", "id", "id"]) == ("id", "column_2", "id_2", "id_3")


def test_csv_is_chosen_never_detected():
    lt = logtypes.by_name("csv")
    assert lt.sourcetype == "sqs_s3_audit:csv" and lt.key_pattern is None
    events = ObjectEvents(io.BytesIO(b"a,b\n1,2\n"), bucket="b", key="x.csv", log_type="auto", fallback_time="1")
    list(events)
    assert events.sourcetype == "sqs_s3_audit:text"


def test_props_has_a_json_stanza_for_csv_rows_that_keeps_the_input_time():
    props = ko_conf.load_conf("props.conf")
    stanza = props["sqs_s3_audit:csv"]
    assert stanza["KV_MODE"] == "json"
    assert stanza["DATETIME_CONFIG"] == "NONE"
    assert stanza["SHOULD_LINEMERGE"] == "false"
    assert int(stanza["TRUNCATE"]) >= MAX_RECORD_CHARS


class _LazyCsv:
    """A file-like body of ``rows`` CSV rows made as they are read (never held whole)."""

    def __init__(self, rows: int):
        self._rows = iter(range(rows))
        self._pending = b"id,user,note\r\n"

    def read(self, size: int = -1) -> bytes:
        while len(self._pending) < size:
            batch = [next(self._rows, None) for _ in range(500)]
            batch = [i for i in batch if i is not None]
            if not batch:
                break
            self._pending += b"".join(b'%d,user%d,"a note, with ""quotes""\r\nand a line"\r\n' % (i, i) for i in batch)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out


def test_a_large_object_streams_in_bounded_memory():
    # The peak of Python allocations while reading stays under 8 read sizes (2 MiB with
    # 256 KiB reads), on an object half as large again as that bound: read whole, the
    # object alone would pass it.
    import tracemalloc

    from sqs_s3_audit_engine.objects import READ_SIZE

    bound = 8 * READ_SIZE
    rows = int(1.5 * bound / 54) + 1  # a row is 54 to 64 bytes
    events = ObjectEvents(_LazyCsv(rows), bucket="b", key="big.csv", log_type="csv", fallback_time="1")
    tracemalloc.start()
    try:
        count = sum(1 for _ in events)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows
    assert peak < bound, peak
