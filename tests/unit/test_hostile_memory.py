"""Objects built to exhaust memory or time in the decoders (issue 19, finding 1).

A top-level object's members beside its record array, a record of millions of empty
objects, an OTLP ``resourceLogs`` element of 32 MiB: memory stays bounded (the peak RSS of a
child process that decodes the object, a bound) and the text handed to the JSON decoder is
linear in the object's length (counted, not timed).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys


from sqs_s3_audit_engine import text_cursor
from sqs_s3_audit_engine.decoders import BadRecord, decode_auto

BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "package", "bin")
RECORD = '{"eventVersion":"1.08","eventID":"e-%d","eventTime":"2025-03-04T16:30:00Z"}'
CHUNK = 1 << 20


def chunks_of(text: str, size: int = CHUNK):
    for start in range(0, len(text), size):
        yield text[start:start + size]


def decode(text: str):
    items = []
    for item in decode_auto(chunks_of(text), "bkt", "bomb.json"):
        items.append(item.reason if isinstance(item, BadRecord) else item.value)
    return items


def peak_mb(path: str) -> tuple:
    """(peak RSS in MB, what was decoded) of a child that streams the object at ``path``
    through the decoders in 1 MiB chunks, as an input reads it from S3 (VmHWM: ru_maxrss
    would carry this test process's own peak across exec)."""
    script = ("import json, sys; sys.path[:0] = [%r]\n"
              "from sqs_s3_audit_engine.decoders import BadRecord, decode_auto\n"
              "from sqs_s3_audit_engine.errors import ObjectError\n"
              "from sqs_s3_audit_engine.objects import as_text, decompressed, iter_body\n"
              "got = []\n"
              "with open(%r, 'rb') as body:\n"
              "    try:\n"
              "        for item in decode_auto(as_text(decompressed(iter_body(body, 1 << 20), 'b', 'k')), 'b', 'k'):\n"
              "            got.append(item.reason if isinstance(item, BadRecord) else item.value)\n"
              "    except ObjectError as exc:\n"
              "        got.append('object:' + exc.reason)\n"
              "print(json.dumps(got)[:2000])\n"
              "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0])\n"
              % (BIN, path))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    return int(lines[-1]) / 1024, json.loads(lines[-2])


def write(tmp_path, name: str, text: str, gzipped: bool = False) -> str:
    path = str(tmp_path / name)
    data = text.encode()
    with open(path, "wb") as handle:
        handle.write(gzip.compress(data, 9) if gzipped else data)
    return path


def member_bomb(members: int, size: int, records_first: bool = True) -> str:
    empties = "[" + ",".join(["{}"] * size) + "]"
    others = ",".join(f'"m{n}":{empties}' for n in range(members))
    records = '"Records":[' + RECORD % 0 + "]"
    return "{" + (records + "," + others if records_first else others + "," + records) + "}"


# The interpreter and the engine take about 30 MB; the old decoder took 1.2 GB on the first.
BOUND_MB = 90


def test_the_48_kib_gzip_bomb_shape_decodes_in_bounded_memory(tmp_path):
    # {"Records":[...], "m0":[{},{},...], "m1":...}: 40 MB of text from 48 KiB of gzip.
    path = write(tmp_path, "bomb.json.gz", member_bomb(40, 330_000), gzipped=True)
    assert os.path.getsize(path) < 64 << 10
    peak, got = peak_mb(path)
    assert got == [json.loads(RECORD % 0)]
    assert peak < BOUND_MB, f"{peak:.0f} MB"


def test_members_before_the_record_array_are_capped_in_number_and_size(tmp_path):
    # "Records" seen early (inside a first member), then member bombs, then the record array.
    bombs = member_bomb(8, 300_000)[len('{"Records":[' + RECORD % 0 + "],"):-1]
    text = '{"x":{"Records":[]},' + bombs + ',"n":5,"s":"a,b]}","Records":[' + RECORD % 0 + "]}"
    peak, got = peak_mb(write(tmp_path, "before.json", text))
    assert got == [json.loads(RECORD % 0)]
    assert peak < BOUND_MB, f"{peak:.0f} MB"
    peak, got = peak_mb(write(tmp_path, "none.json", '{"x":{"Records":[]},' + bombs + "}"))
    assert got == ["object:record_too_large"]  # no record array: the object is one record, too large
    assert peak < BOUND_MB, f"{peak:.0f} MB"
    assert decode('{"x":{"Records":[]},"n":5,"s":"a"}') == [{"x": {"Records": []}, "n": 5, "s": "a"}]


def test_a_record_of_millions_of_empty_objects_is_a_bad_record_not_parsed(tmp_path):
    bomb = "[" + ",".join(["{}"] * 2_500_000) + "]"  # 7.5 MB, under the 8 MiB record limit
    text = '{"Records":[' + RECORD % 1 + "," + bomb + "," + RECORD % 2 + "]}"
    peak, got = peak_mb(write(tmp_path, "empties.json", text))
    assert got == [json.loads(RECORD % 1), "record_too_large", json.loads(RECORD % 2)]
    assert peak < BOUND_MB, f"{peak:.0f} MB"  # parsed, it would take some 200 MB


def test_an_otlp_element_over_8_mib_is_a_bad_record_read_in_linear_time(monkeypatch):
    log_record = {"timeUnixNano": "1741105800000000000", "body": {"stringValue": "x" * 200}}
    big = {"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": [log_record] * 120_000}]}  # ~32 MiB
    small = {"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": [log_record]}]}
    text = json.dumps({"resourceLogs": [small, big, small]}, separators=(",", ":"))
    assert len(text) > 30 << 20
    decoded = [0]
    real = text_cursor._raw_decode

    def counting(buf, pos):
        decoded[0] += len(buf) - pos
        return real(buf, pos)

    monkeypatch.setattr(text_cursor, "_raw_decode", counting)
    items = decode(text)
    assert [i if isinstance(i, str) else "record" for i in items] == ["record", "record_too_large", "record"]
    assert decoded[0] < 4 * len(text)  # parsing is linear: the old cursor re-parsed from the start per chunk
