"""Hostile names and contents through the BUILT input, on Python 3.9 and 3.13 (issue 14).

Whoever can write into a bucket chooses the object keys (S3 keys may hold any character)
and the contents. Through S3 -> SQS -> the built input (as splunkd runs it):

- keys holding CR, TAB, ESC, NUL, U+2028/U+2029, U+FFFE, quotes and ``</stream>``, and
  keys with LF (hand-made notifications: moto cannot store a key with LF), and SQS bodies
  holding such characters: the event stream parses as XML, every record is written once
  with ``source`` naming its object, and the log has one entry per line, none forged;
- objects built to hurt a parser (nesting 100,000 deep as a whole object, as one line among
  good ones and inside a CloudTrail ``Records`` element; gzip bombs; a giant line;
  timestamps no epoch can hold): the input keeps running, good records are written, each
  bad one is named, memory stays bounded (the input process's VmHWM).
"""

from __future__ import annotations

import json
import os
import re
import time
import zlib
from typing import Dict, List
from urllib.parse import quote_plus

import pytest

from harness import seed_splunkd
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")

PYTHONS = pythons()
SESSION_KEY = "hostile-splunkd-session-key-93b1"
ENTRY = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) pid=\d+ "
                   r"thread=\S+ \| action=\w+")
KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
FORGED = "2026-01-01 00:00:00,000 INFO pid=1 thread=w | action=object_done bucket=x key=forged.jsonl"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Keys moto stores (LF is the one it cannot: those go in hand-made notifications below).
STORED_KEYS = [
    "hostile/cr-\rforged.jsonl",
    "hostile/cr-\r" + FORGED,
    "hostile/tab-\there.jsonl",
    "hostile/esc-\x1b[31mred\x1b[0m.jsonl",
    "hostile/nul-\x00-bell-\x07.jsonl",
    "hostile/seps-\u2028-\u2029.jsonl",
    "hostile/nonchar-\ufffe.jsonl",
    "hostile/quotes-\"double\"-'single'.jsonl",
    "hostile/markup-</data></event></stream><stream>&amp;.jsonl",
    "hostile/plain space+plus.jsonl",
]
UNSTORABLE_KEYS = ["hostile/lf-\nsecond.jsonl", "hostile/crlf-\r\n" + FORGED]
BODIES = [f"not a notification\r\n{FORGED}\x1b[31m", f'{{"Records": "x\\n{FORGED}"}}\n{FORGED}',
          "\u2028" + FORGED]


def s3_notification(bucket: str, key: str) -> str:
    """An S3 event notification as S3 writes it (key URL-encoded, spaces as ``+``), after
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html"""
    return json.dumps({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                                    "eventTime": "2025-03-04T16:30:00.000Z", "eventName": "ObjectCreated:Put",
                                    "s3": {"bucket": {"name": bucket},
                                           "object": {"key": quote_plus(key, safe="/"), "size": 1}}}]})


def as_read_back(text: str) -> str:
    """What XML gives back for ``text``: every character, U+FFFD where XML cannot carry one."""
    return NOT_XML.sub("\ufffd", text)


def start(python: str, vendor, tmp_path, name: str, feed) -> tuple:
    splunkd = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY), loglevel="DEBUG")
    splunkd.start()
    endpoint = vendor.endpoint
    values = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": endpoint, "sts_endpoint_url": endpoint, "index": "main", "max_workers": "2"}
    run = RunningInput(python, input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), name, values),
                       str(tmp_path))
    return splunkd, run


def rss_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def drain_and_stop(run: RunningInput, vendor, feed, splunkd, timeout: float = 180) -> int:
    """Wait for the queue to empty (the input still running), stop it; the peak VmHWM in kB."""
    peak = 0
    try:
        deadline = time.time() + timeout
        while time.time() < deadline and vendor.depth(feed.queue_url) > 0:
            assert run.proc.poll() is None, run.stderr[-2000:]
            peak = max(peak, rss_kb(run.proc.pid, "VmHWM"))
            time.sleep(0.2)
        assert vendor.depth(feed.queue_url) == 0, "the queue did not drain"
        time.sleep(1)  # the last object_done line
        peak = max(peak, rss_kb(run.proc.pid, "VmHWM"))
        assert run.proc.poll() is None, "the input stopped by itself"
        assert run.terminate() < 10 and run.proc.returncode == 0, run.stderr[-2000:]
    finally:
        splunkd.stop()
    return peak


def log_entries(tmp_path, name: str) -> List[Dict[str, str]]:
    """The input's log, checked to be one entry per line; each entry's fields."""
    path = tmp_path / "var" / "log" / "splunk" / f"ta_sqs_s3_audit_{name}.log"
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    assert text.endswith("\n")
    entries = []
    for line in text[:-1].split("\n"):
        assert ENTRY.match(line), f"not an entry of its own: {line[:200]!r}"
        assert line.splitlines() == [line], f"a line boundary inside: {line[:200]!r}"
        assert not re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", line), repr(line[:200])
        fields = {k: v[1:-1] if v.startswith('"') else v for k, v in KV.findall(line.split(" | ", 1)[1])}
        fields["_level"] = line.split(" ")[2]
        entries.append(fields)
    return entries


def unescape(value: str) -> str:
    """A kv value as written (``\\\\r``, ``\\\\x1b``, ``\\\\u2028``, ``\\\\"``) back to its text."""
    return re.sub(r'\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt"\\])', lambda m: {
        "n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}.get(m.group(1)) or chr(int(m.group(1)[1:], 16)),
        value)


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_hostile_keys_and_bodies_keep_the_stream_well_formed_and_the_log_one_entry_per_line(
        python, vendor, tmp_path):
    tag = f"{python}-{os.getpid()}-{time.time_ns() % 10**6}"
    feed = vendor.create_feed(f"hostile-{tag}", f"hostile-{tag}", notify=False, visibility_timeout=2, max_receives=1)
    expected: Dict[str, List[dict]] = {}
    for i, key in enumerate(STORED_KEYS):
        records = [{"eventID": f"{i}-{n}", "eventTime": "2025-03-04T16:30:00Z", "note": key} for n in range(3)]
        vendor.put_object(feed.bucket, key, "".join(json.dumps(r) + "\n" for r in records).encode())
        expected[f"s3://{feed.bucket}/{key}"] = records
    lines_key = "hostile/lines-\x1b.log"
    text_lines = ["plain text line", "esc \x1b[2J and cr \r mid-line", "nel \x85 ls \u2028 bell \x07 end", FORGED]
    vendor.put_object(feed.bucket, lines_key, "\n".join(text_lines).encode() + b"\n")
    for key in STORED_KEYS + [lines_key] + UNSTORABLE_KEYS:
        vendor.send(feed.queue_url, s3_notification(feed.bucket, key))
    # One message naming several objects, bucket name with a line break included.
    two = json.loads(s3_notification(feed.bucket, STORED_KEYS[0]))
    two["Records"].append(json.loads(s3_notification(f"bkt\r\n{FORGED}", "k.jsonl"))["Records"][0])
    vendor.send(feed.queue_url, json.dumps(two))
    for body in BODIES:
        vendor.send(feed.queue_url, body)

    splunkd, run = start(PYTHONS[python], vendor, tmp_path, "hostile", feed)
    drain_and_stop(run, vendor, feed, splunkd)

    events = parse_events(run.stdout)  # raises unless the whole stream is well-formed XML
    by_source: Dict[str, List[dict]] = {}
    for event in events:
        by_source.setdefault(event["source"], []).append(event)
    for source, records in expected.items():
        got = by_source.pop(as_read_back(source), [])
        # Every record once: the first object's message was redelivered as part of `two`,
        # and the checkpoint says it is done.
        assert [json.loads(e["data"]) for e in got] == records, source  # JSON escapes: exact
        assert all(e["time"] == "1741105800" for e in got)
    lines = by_source.pop(as_read_back(f"s3://{feed.bucket}/{lines_key}"))
    assert [e["data"] for e in lines] == [as_read_back(t) for t in text_lines]
    assert not by_source, f"events from nowhere: {sorted(by_source)}"

    entries = log_entries(tmp_path, "hostile")
    done = [unescape(e["key"]) for e in entries if e.get("action") == "object_done"]
    assert sorted(done) == sorted(STORED_KEYS + [lines_key])  # CR and all: the key exactly, once each
    assert not [e for e in entries if e.get("key") == "forged.jsonl" or e.get("bucket") == "x"]
    failed = {unescape(e["key"]) for e in entries if e.get("action") == "object_failed" and e["_level"] == "ERROR"}
    assert set(UNSTORABLE_KEYS) <= failed and "k.jsonl" in failed
    unusable = [e for e in entries if e.get("action") == "unusable_notification"]
    assert len(unusable) == len(BODIES)
    assert "Traceback" not in run.stderr


def _deep(levels: int = 100_000) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_objects_built_to_hurt_a_parser_are_named_and_the_good_records_written_in_bounded_memory(
        python, vendor, tmp_path):
    tag = f"{python}-{os.getpid()}-{time.time_ns() % 10**6}"
    feed = vendor.create_feed(f"hurt-{tag}", f"hurt-{tag}", visibility_timeout=3, max_receives=1)
    good_ids: List[str] = []

    def good(prefix: str, n: int) -> List[str]:
        ids = [f"{prefix}-{i}" for i in range(n)]
        good_ids.extend(ids)
        return [json.dumps({"eventID": i, "eventTime": "2025-03-04T16:30:00Z"}) for i in ids]

    deep = _deep()
    objects = {
        "deep/whole.json": deep.encode(),
        "deep/one-line.jsonl": "\n".join(good("line", 2) + [deep] + good("line-after", 2)).encode() + b"\n",
        "deep/records.json": ('{"Records":[' + ",".join(good("ct", 2) + ['{"eventID":"deep","x":' + deep + "}"]
                                                       + good("ct-after", 2)) + "]}").encode(),
        "huge/giant-line.jsonl": "\n".join(good("giant", 1) + ['{"eventID":"giant","pad":"' + "x" * (12 << 20) + '"}']
                                           + good("giant-after", 1)).encode() + b"\n",
        "times/impossible.jsonl": "\n".join(
            [json.dumps({"eventID": f"t-{i}", "timestamp": t}) for i, t in
             enumerate(["2024-02-30T10:00:00Z", "0000-01-01T00:00:00Z", "2023-13-01T00:00:00Z"])]
            + ['{"eventID":"t-nan","timestamp":NaN}', '{"eventID":"t-inf","timestamp":Infinity}',
               '{"eventID":"t-big","timestamp":1e400}']).encode() + b"\n",
    }
    good_ids += ["t-0", "t-1", "t-2", "t-nan", "t-inf", "t-big"]
    # Gzip bombs, kept small for a test: 200 MB of zeros, and 200 MB of newlines after a record.
    zeros = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip format
    chunk = b"\0" * (1 << 20)
    objects["bomb/zeros.json.gz"] = b"".join([zeros.compress(chunk) for _ in range(200)] + [zeros.flush()])
    blank = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = blank.compress(good("bomb", 1)[0].encode() + b"\n")
    objects["bomb/newlines.jsonl.gz"] = first + b"".join(
        [blank.compress(b"\n" * (1 << 20)) for _ in range(200)] + [blank.compress(good("bomb-after", 1)[0].encode()),
                                                                  blank.flush()])
    assert len(objects["bomb/zeros.json.gz"]) < 1 << 20 and len(objects["bomb/newlines.jsonl.gz"]) < 1 << 20
    for key, body in objects.items():
        vendor.put_object(feed.bucket, key, body)

    splunkd, run = start(PYTHONS[python], vendor, tmp_path, "hurt", feed)
    peak = drain_and_stop(run, vendor, feed, splunkd, timeout=240)

    events = parse_events(run.stdout)
    ids = [json.loads(e["data"])["eventID"] for e in events]
    assert sorted(ids) == sorted(good_ids) and len(ids) == len(set(ids))  # every good record once, no bad one
    times = {json.loads(e["data"])["eventID"]: e["time"] for e in events}
    lastmod = {e["time"] for e in events if json.loads(e["data"])["eventID"].startswith("t-")}
    assert len(lastmod) == 1 and "1741105800" not in lastmod  # the object's LastModified for each
    assert times["ct-0"] == "1741105800"

    entries = log_entries(tmp_path, "hurt")

    def named(action: str, key: str, reason: str) -> List[dict]:
        return [e for e in entries if e.get("action") == action and e.get("key") == key
                and e.get("reason") == reason and e["_level"] == "ERROR" and e.get("bucket") == feed.bucket]

    assert named("object_failed", "deep/whole.json", "too_deep")
    assert [e["position"] for e in named("bad_record", "deep/one-line.jsonl", "too_deep")] == ["2"]
    assert [e["position"] for e in named("bad_record", "deep/records.json", "too_deep")] == ["2"]
    assert [e["position"] for e in named("bad_record", "huge/giant-line.jsonl", "record_too_large")] == ["1"]
    assert named("object_failed", "bomb/zeros.json.gz", "binary_content")
    assert any(e.get("action") == "time_from_last_modified" and e.get("key") == "times/impossible.jsonl"
               and e.get("events") == "6" for e in entries)
    assert not [e for e in entries if e.get("action") in ("message_failed", "collector_failed")]
    assert "RecursionError" not in run.stderr and "Traceback" not in run.stderr
    print(f"peak VmHWM of the input: {peak // 1024} MB")
    assert peak < 300 * 1024, f"peak RSS {peak // 1024} MB"
