"""Values nested too deep for Python's JSON decoder: a bad record or an object error,
never a RecursionError; the records around them are read; the interpreter is fine after."""

from __future__ import annotations

import io
import json
import sys

import pytest

from sqs_s3_audit_engine.decoders import BadRecord, Item, decode_auto, decode_json
from sqs_s3_audit_engine.errors import ObjectError
from sqs_s3_audit_engine.events import ObjectEvents

LEVELS = 100_000  # deeper than any interpreter's limit (3.9: about 1,000; 3.13: about 10,000)
DEEP_OBJECT = '{"a":' * LEVELS + "1" + "}" * LEVELS
DEEP_ARRAY = "[" * LEVELS + "]" * LEVELS
GOOD = ['{"id":1}', '{"id":2}', '{"id":3}', '{"id":4}']


def read(text: str, size: int = 65536, fn=decode_auto):
    return [i if isinstance(i, BadRecord) else i.value
            for i in fn([text[i:i + size] for i in range(0, len(text), size)], "bkt", "deep.json")]


@pytest.mark.parametrize("fn", [decode_auto, decode_json])
@pytest.mark.parametrize("size", [7, 4096, 1 << 20])
def test_one_deep_line_among_good_lines_is_a_bad_record_and_the_rest_is_read(fn, size):
    text = "\n".join(GOOD[:2] + [DEEP_OBJECT] + GOOD[2:]) + "\n"
    got = read(text, size, fn)
    assert got[:2] == [{"id": 1}, {"id": 2}] and got[3:] == [{"id": 3}, {"id": 4}]
    assert isinstance(got[2], BadRecord) and got[2].reason == "too_deep" and "too deep" in got[2].detail


def test_a_deep_first_line_is_a_bad_record_when_good_lines_follow():
    got = read("\n".join([DEEP_ARRAY.replace("[", '{"a":[', 1)] + GOOD) + "\n")
    assert got[0].reason == "too_deep" and got[1:] == [{"id": n} for n in (1, 2, 3, 4)]


@pytest.mark.parametrize("text", [DEEP_OBJECT, DEEP_OBJECT + "\n\n", "  " + DEEP_OBJECT])
@pytest.mark.parametrize("fn", [decode_auto, decode_json])
def test_a_whole_object_nested_too_deep_is_an_object_error_naming_it(text, fn):
    with pytest.raises(ObjectError) as caught:
        read(text, 4096, fn)
    assert (caught.value.bucket, caught.value.key, caught.value.reason) == ("bkt", "deep.json", "too_deep")


@pytest.mark.parametrize("size", [5, 999, 1 << 20])
def test_a_deep_cloudtrail_records_element_is_skipped_and_the_walk_resumes_after_it(size):
    # The bad element holds brackets and quotes inside strings: the skip must not count them.
    bad = '{"eventID":"bad","x":' + DEEP_ARRAY + ',"s":"]}\\"[{\\\\","t":"\\u005d"}'
    text = '{"Records":[{"eventID":"a"},' + bad + ',{"eventID":"b"}],"extra":1}'
    got = read(text, size)
    assert got[0] == {"eventID": "a"} and got[2] == {"eventID": "b"} and len(got) == 3
    assert got[1].reason == "too_deep"


def test_a_deep_element_of_a_top_level_array_is_a_bad_record():
    got = read("[" + ",".join([GOOD[0], DEEP_OBJECT, GOOD[1]]) + "]", 333)
    assert got[0] == {"id": 1} and got[1].reason == "too_deep" and got[2] == {"id": 2}


def test_a_deep_member_before_the_records_array_is_an_object_error_after_it_is_skipped():
    with pytest.raises(ObjectError) as caught:
        read('{"other":' + DEEP_OBJECT + ',"Records":[{"eventID":"a"}]}')
    assert caught.value.reason == "too_deep"
    # After the record array, other members are skipped unparsed (issue 19): nothing to decode.
    assert read('{"Records":[{"eventID":"a"}],"other":' + DEEP_OBJECT + "}") == [{"eventID": "a"}]


def test_a_deep_element_cut_short_is_an_object_error_not_a_hang():
    with pytest.raises(ObjectError) as caught:
        read('{"Records":[{"eventID":"a"},' + "[" * LEVELS, 1000)
    assert caught.value.reason == "invalid_json" and "too deep" in caught.value.detail


def test_positions_are_the_same_on_every_read_so_a_resume_lands_right():
    text = "\n".join(GOOD[:2] + [DEEP_OBJECT] + GOOD[2:]) + "\n"
    first = list(ObjectEvents(io.BytesIO(text.encode()), bucket="b", key="k.jsonl"))
    resumed = ObjectEvents(io.BytesIO(text.encode()), bucket="b", key="k.jsonl", start=3)
    assert [json.loads(d) for _, d in first] == [{"id": n} for n in (1, 2, 3, 4)]
    assert [json.loads(d) for _, d in resumed] == [{"id": 3}, {"id": 4}]  # position 2 was the bad one
    assert resumed.position == 5


def test_the_interpreter_is_fine_after_a_too_deep_record():
    bad = []
    events = ObjectEvents(io.BytesIO(("\n".join([DEEP_OBJECT] * 20 + GOOD) + "\n").encode()),
                          bucket="b", key="k.jsonl", on_bad=lambda _pos, rec: bad.append(rec.reason))
    assert len(list(events)) == 4 and bad == ["too_deep"] * 20

    def nest(depth):
        return 0 if depth == 0 else 1 + nest(depth - 1)

    headroom = sys.getrecursionlimit() - 100
    assert nest(headroom) == headroom  # recursion works up to the limit as before
    moderate = '{"a":' * 400 + "1" + "}" * 400  # deep-ish JSON within the limit still decodes
    [item] = list(decode_auto([moderate + "\n"]))
    assert isinstance(item, Item) and item.value == json.loads(moderate)


def test_skipping_a_deep_element_is_quick_even_millions_deep():
    import time

    levels = 3_000_000  # 6 MB of brackets, under the 8 MiB record limit
    text = '{"Records":[{"eventID":"a"},' + "[" * levels + "]" * levels + ',{"eventID":"b"}]}'
    began = time.monotonic()
    got = read(text, 65536)
    assert time.monotonic() - began < 5
    assert got[0] == {"eventID": "a"} and got[1].reason == "too_deep" and got[2] == {"eventID": "b"}


def test_a_deep_element_over_the_record_limit_is_an_object_error():
    levels = 5_000_000  # 10 MB: more than MAX_RECORD_CHARS
    with pytest.raises(ObjectError) as caught:
        read('{"Records":[{"eventID":"a"},' + "[" * levels + "]" * levels + "]}", 65536)
    assert caught.value.reason == "record_too_large"
