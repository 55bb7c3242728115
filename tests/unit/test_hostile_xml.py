"""Every field the writer puts in the XML stream is well-formed XML 1.0, whatever it holds."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

from sqs_s3_audit_engine.decoders import decode_auto, event_text
from sqs_s3_audit_splunk.event_writer import XmlEventWriter, escape, xml_text

# Names and contents an attacker with s3:PutObject chooses.
HOSTILE = [
    "esc-\x1b[31mred\x1b[0m.jsonl",
    "cr-\rforged.jsonl",
    "crlf-\r\n| action=object_done key=forged.jsonl",
    "lf-\nsecond-line.jsonl",
    "tab-\there.jsonl",
    "nul-\x00-bell-\x07-vt-\x0b-ff-\x0c-del-\x7f",
    "line-sep-\u2028-para-sep-\u2029",
    "nonchar-\ufffe-\uffff",
    "lone-surrogate-\ud800",
    'quotes-"double"-\'single\'',
    "markup-</data></event></stream><stream>&amp;<![CDATA[x]]>",
    "unicode-é-日本-🎉",
]


def written(source: str, events, **kw) -> bytes:
    out = io.BytesIO()
    sourcetype = kw.pop("sourcetype", "aws:cloudtrail")
    writer = XmlEventWriter(out, kw.pop("stanza", "sqs_s3_audit://in"), **kw)
    writer.write(source, sourcetype, events)
    writer.close()
    return out.getvalue()


def expected(text: str) -> str:
    """What a reader of the stream gets back: the text, with U+FFFD where XML cannot carry it."""
    return "".join(
        "\ufffd" if (ord(c) < 0x20 and c not in "\t\n\r") or 0xD800 <= ord(c) <= 0xDFFF or c in "\ufffe\uffff" else c
        for c in text
    )


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_key_gives_a_well_formed_stream_whose_source_names_the_object(name):
    source = f"s3://bucket/{name}"
    stream = written(source, [("1", '{"a":1}'), ("2", '{"b":2}')])
    root = ET.fromstring(stream)  # raises on anything that is not well-formed XML
    events = root.findall("event")
    assert len(events) == 2
    assert [e.findtext("source") for e in events] == [expected(source)] * 2
    assert [json.loads(e.findtext("data")) for e in events] == [{"a": 1}, {"b": 2}]


def test_a_cr_in_a_key_survives_as_cr_not_lf():
    root = ET.fromstring(written("s3://b/a\rb\r\nc", [("1", "x")]))
    assert root.find("event").findtext("source") == "s3://b/a\rb\r\nc"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_data_lines_and_json_records_are_written_readably(text):
    line = "line " + text
    record = json.dumps({"msg": text}, ensure_ascii=False)  # raw control characters are escaped by json
    [item] = list(decode_auto([record]))
    root = ET.fromstring(written("s3://b/k", [("1", line), ("2", event_text(item))]))
    first, second = root.findall("event")
    assert first.findtext("data") == expected(line)
    # JSON escapes control characters and event_text U+FFFE/U+FFFF: the record comes back
    # exactly; only a lone surrogate (no character at all) becomes U+FFFD.
    assert json.loads(second.findtext("data")) == {"msg": text.replace("\ud800", "\ufffd")}


@pytest.mark.parametrize("value", HOSTILE)
def test_stanza_sourcetype_host_and_index_are_well_formed_too(value):
    stream = written(f"s3://b/{value}", [(value, value)], stanza=f"sqs_s3_audit://{value}", index=value,
                     host=value, sourcetype=value)
    event = ET.fromstring(stream).find("event")
    assert event.get("stanza") == expected(f"sqs_s3_audit://{value}")
    for field in ("time", "index", "host", "sourcetype", "data"):
        assert event.findtext(field) == expected(value), field


def test_one_hostile_event_spoils_nothing_else_in_its_batch():
    events = [(str(n), json.dumps({"n": n})) for n in range(1000)]
    events[500] = ("500", "bad \x1b[2J line")
    root = ET.fromstring(written("s3://b/k", events))
    datas = [e.findtext("data") for e in root.findall("event")]
    assert datas[500] == "bad \ufffd[2J line"
    assert [json.loads(d) for i, d in enumerate(datas) if i != 500] == [{"n": n} for n in range(1000) if n != 500]


def test_clean_text_is_left_as_it_is():
    assert xml_text("s3://b/AWSLogs/1/CloudTrail/x.json.gz") == "s3://b/AWSLogs/1/CloudTrail/x.json.gz"
    assert xml_text("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape('say "hi"\tnow\n') == "say &quot;hi&quot;&#9;now&#10;"
    assert xml_text("a\r\nb") == "a&#13;\nb"
