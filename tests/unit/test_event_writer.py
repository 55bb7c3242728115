"""The XML event stream: valid XML, exact data, closed cleanly."""

from __future__ import annotations

import io
import json
import threading
import xml.etree.ElementTree as ET

import pytest

from sqs_s3_audit_engine.delivery.batches import SinkClosed
from sqs_s3_audit_splunk.event_writer import XmlEventWriter


def test_events_carry_time_index_source_sourcetype_host_and_exact_data():
    out = io.BytesIO()
    writer = XmlEventWriter(out, "sqs_s3_audit://in<1>", index="aws", host="hf1")
    record = {"a": "<tag> & \"quotes\" é", "n": 1}
    writer.write("s3://b/k&x", "aws:cloudtrail", [("1689802421", json.dumps(record)), ("2.5", "line two")])
    writer.close()
    root = ET.fromstring(out.getvalue())
    first, second = root.findall("event")
    assert first.get("stanza") == "sqs_s3_audit://in<1>"
    assert [first.findtext(t) for t in ("time", "index", "source", "sourcetype", "host")] == \
        ["1689802421", "aws", "s3://b/k&x", "aws:cloudtrail", "hf1"]
    assert json.loads(first.findtext("data")) == record
    assert second.findtext("data") == "line two"


def test_index_and_host_are_left_to_splunkd_when_unset():
    out = io.BytesIO()
    writer = XmlEventWriter(out, "sqs_s3_audit://in")
    writer.write("s3://b/k", "st", [("1", "x")])
    writer.close()
    event = ET.fromstring(out.getvalue()).find("event")
    assert event.find("index") is None and event.find("host") is None


def test_a_closed_stream_refuses_writes_and_closes_once():
    out = io.BytesIO()
    writer = XmlEventWriter(out, "s")
    writer.close()
    writer.close()
    with pytest.raises(SinkClosed):
        writer.write("s", "t", [("1", "x")])
    assert out.getvalue() == b"<stream></stream>\n"


def test_concurrent_batches_never_interleave():
    out = io.BytesIO()
    writer = XmlEventWriter(out, "s")
    threads = [threading.Thread(target=lambda n=n: [writer.write(f"s3://b/{n}", "t", [("1", str(i)) for i in range(50)])
                                                     for _ in range(20)]) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    assert len(ET.fromstring(out.getvalue()).findall("event")) == 4 * 20 * 50


def test_close_does_not_wait_for_ever_on_a_write_blocked_by_a_pipe_nobody_reads():
    import os
    import time

    read_end, write_end = os.pipe()
    out = os.fdopen(write_end, "wb")
    writer = XmlEventWriter(out, "sqs_s3_audit://in")
    outcome = []

    def write_into_the_full_pipe():
        try:
            writer.write("s3://b/k", "st", [("1", "x" * 1024)] * 1024)
        except BrokenPipeError:
            outcome.append("broken pipe")

    blocked = threading.Thread(target=write_into_the_full_pipe, daemon=True)
    blocked.start()  # 1 MiB into a 64 KiB pipe: blocks holding the stream's lock
    time.sleep(0.5)
    assert blocked.is_alive()
    began = time.monotonic()
    assert writer.close(timeout=0.5) is False
    assert time.monotonic() - began < 2
    with pytest.raises(SinkClosed):
        writer.write("s3://b/k", "st", [("1", "later")])
    os.close(read_end)  # the blocked write now fails: the stream's end is gone
    blocked.join(5)
    assert outcome == ["broken pipe"]
