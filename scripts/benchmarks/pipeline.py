"""Decode and write on one core: gzipped CloudTrail object bytes -> the XML event stream,
through the collector's own per-object path (gunzip, streaming decode, timestamps, XML
writer, checkpoint), beside a straightforward implementation (whole object, gunzip,
``json.loads``, ``json.dumps`` per record, one splunklib ``Event`` per record) and beside
bare gunzip (zlib only). Exactness is checked: every event parses back to its record and
carries the record's own time. In-process: no network, no emulator.
"""

from __future__ import annotations

import cProfile
import gzip
import io
import json
import os
import pstats
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zlib

from .common import APP_LIB, OUT, ROOT

import sample_logs as samples
from sqs_s3_audit_engine.delivery.batches import Delivery
from sqs_s3_audit_engine.delivery.checkpoint import Checkpoint
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_splunk.event_writer import XmlEventWriter


class NullStream:
    """Counts what would go to splunkd."""

    def __init__(self):
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)
        return len(data)

    def flush(self):
        pass


def pipeline(obj: bytes, out, fsync: bool = False) -> None:
    """The add-on's path for one object, exactly as the collector runs it: the events and
    delivery stages."""
    with tempfile.TemporaryDirectory(dir=OUT) as ckpt:  # on disk, so fsync costs what it costs
        checkpoint = Checkpoint(ckpt, "bench", fsync=fsync)
        writer = XmlEventWriter(out, "sqs_s3_audit://bench")
        key = "AWSLogs/bench.json.gz"
        events = ObjectEvents(io.BytesIO(obj), bucket="bench-bucket", key=key)
        Delivery(writer, checkpoint).write_object(events, source=f"s3://bench-bucket/{key}", oid="oid")
        writer.close()
        checkpoint.close()


def straightforward(obj: bytes, out) -> None:
    """What a first implementation does: whole object, loads, dumps, one splunklib Event each."""
    Event, EventWriter = _splunklib()
    writer = EventWriter(output=out, error=io.StringIO())
    for record in json.loads(gzip.decompress(obj))["Records"]:
        writer.write_event(Event(data=json.dumps(record), time=samples.epoch_of(record["eventTime"]),
                                 source="s3://bench-bucket/AWSLogs/bench.json.gz", sourcetype="aws:cloudtrail",
                                 stanza="sqs_s3_audit://bench", done=True, unbroken=True))
    writer.close()


def _splunklib():
    """splunklib from the environment, else the built app's lib/ (which ships it)."""
    try:
        from splunklib.modularinput import Event, EventWriter
    except ImportError:
        sys.path.append(APP_LIB)
        from splunklib.modularinput import Event, EventWriter
    return Event, EventWriter


def bare_gunzip(obj: bytes, out) -> None:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    view = memoryview(obj)
    for i in range(0, len(obj), 1 << 20):
        out.write(inflater.decompress(view[i:i + (1 << 20)]))


def parse_floor(obj: bytes, out) -> None:  # noqa: ARG001 - every pipeline takes (obj, out)
    """gunzip + finding and parsing every record (C scanner), nothing written: what any
    exact pipeline must at least do."""
    decoder = json.JSONDecoder()
    text = gzip.decompress(obj).decode()
    pos = text.index("[") + 1
    end = len(text)
    while pos < end and text[pos] != "]":
        value, pos = decoder.raw_decode(text, pos)
        value.get("eventTime")
        if text[pos] == ",":
            pos += 1


class TextNull(NullStream):
    """splunklib's EventWriter writes text."""


def interleaved_best(variants, objs, repeat) -> dict:
    """Best time of each variant over ``repeat`` rounds; every round runs every variant once,
    so a noisy neighbour on a shared machine slows all of them alike, not one."""
    best = {name: float("inf") for name, _, _ in variants}
    for _ in range(repeat):
        for name, fn, kwargs in variants:
            start = time.perf_counter()
            for obj in objs:
                fn(obj, TextNull() if fn is straightforward else NullStream(), **kwargs)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def check_exactness(obj: bytes, records) -> tuple:
    """(events checked, first problem or ""): every event of the object against its record."""
    buf = io.BytesIO()
    pipeline(obj, buf)
    try:
        events = ET.fromstring(buf.getvalue()).findall("event")
    except ET.ParseError as exc:
        return 0, f"the event stream is not well-formed XML: {exc}"
    if len(events) != len(records):
        return len(events), f"{len(events)} events for {len(records)} records"
    for i, (event, record) in enumerate(zip(events, records)):
        if json.loads(event.findtext("data")) != record:
            return i, f"event {i}: data does not parse back to its record"
        if event.findtext("time") != samples.epoch_of(record["eventTime"]):
            return i, f"event {i}: time {event.findtext('time')} is not eventTime {record['eventTime']}"
        if event.findtext("sourcetype") != "aws:cloudtrail":
            return i, f"event {i}: sourcetype {event.findtext('sourcetype')}"
    return len(events), ""


def throughput(files: int, per_file: int, repeat: int) -> dict:
    print(f"[1] decode-and-write: {files} gzipped CloudTrail objects x {per_file} records", flush=True)
    objs, total_records, raw_bytes, checked, problems = [], 0, 0, 0, []
    for i in range(files):
        records = samples.cloudtrail_records(per_file, seed=1000 + i)
        body = json.dumps({"Records": records}, separators=(",", ":")).encode()
        raw_bytes += len(body)
        total_records += len(records)
        objs.append(gzip.compress(body, 6))
        n, problem = check_exactness(objs[-1], records)
        checked += n if not problem else 0
        problems += [problem] if problem else []
    results = {"records": total_records, "uncompressed_mb": raw_bytes / 1e6,
               "compressed_mb": sum(map(len, objs)) / 1e6, "objects": files, "repeats": repeat,
               "record_bytes_avg": raw_bytes / total_records,
               "exactness_checked_events": checked, "exactness_problems": problems}
    print(f"    exactness: {checked:,} events checked, {len(problems)} problem(s) {problems[:1] or ''}", flush=True)
    variants = (("addon", pipeline, {}), ("addon_fsync", pipeline, {"fsync": True}),
                ("straightforward", straightforward, {}), ("gunzip", bare_gunzip, {}),
                ("parse_floor", parse_floor, {}))
    best = interleaved_best(variants, objs, repeat)
    for name, _, _ in variants:
        seconds = best[name]
        results[name] = {"seconds": seconds, "events_per_s": total_records / seconds, "mb_per_s": raw_bytes / 1e6 / seconds}
        print(f"    {name:<16} {results[name]['events_per_s']:>12,.0f} events/s {results[name]['mb_per_s']:>8.1f} MB/s", flush=True)
    results["ratio_vs_straightforward"] = results["addon"]["events_per_s"] / results["straightforward"]["events_per_s"]
    results["fraction_of_gunzip"] = results["addon"]["mb_per_s"] / results["gunzip"]["mb_per_s"]
    results["fraction_of_parse_floor"] = results["addon"]["mb_per_s"] / results["parse_floor"]["mb_per_s"]
    results["profile"] = profile(objs[0])
    return results


def profile(obj: bytes, top: int = 10) -> list:
    """Where the pipeline's time goes (cProfile, own time per function, share of the total).
    cProfile inflates per-call Python overhead, so shares are indicative, not exact."""
    profiler = cProfile.Profile()
    profiler.runcall(pipeline, obj, NullStream())
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    out = []
    for (path, line, name), (_cc, calls, tottime, cumtime, _callers) in rows:
        where = os.path.relpath(path, ROOT) if path.startswith(ROOT) else os.path.basename(path)
        out.append({"function": f"{where}:{line}({name})" if line else name, "calls": calls,
                    "own_share": tottime / total, "cumulative_share": cumtime / total})
    print("    profile (own time): " + ", ".join(f"{r['function'].split('/')[-1]} {100 * r['own_share']:.0f}%"
                                               for r in out[:5]), flush=True)
    return out
