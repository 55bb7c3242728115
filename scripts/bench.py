"""``make bench``: throughput and memory of the add-on's pipeline, as ratios to baselines
measured in the same run on the same data.

1. decode-and-write: gzipped CloudTrail object bytes -> the XML event stream, through the
   collector's own ``_stream_object`` (gunzip, streaming decode, timestamps, XML writer,
   checkpoint), beside a straightforward implementation (whole object, gunzip,
   ``json.loads``, ``json.dumps`` per record, one splunklib ``Event`` per record) and beside
   bare gunzip (zlib only: the floor no Python pipeline can beat). Exactness is checked:
   every event parses back to its record and carries the record's own time.
2. peak resident memory ingesting one object of 1 GB uncompressed (in a subprocess).
3. end-to-end events/s through moto server with 1, 2 and 4 workers.

    python3 scripts/bench.py [--quick] [--write-docs]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "package", "bin"), os.path.join(ROOT, "scripts"), os.path.join(ROOT, "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import sample_logs as samples  # noqa: E402
from sqs_s3_audit_engine.checkpoint import Checkpoint  # noqa: E402
from sqs_s3_audit_engine.collector import Collector  # noqa: E402
from sqs_s3_audit_engine.config import parse_input  # noqa: E402
from sqs_s3_audit_engine.notifications import ObjectRef  # noqa: E402
from sqs_s3_audit_splunk.event_writer import XmlEventWriter  # noqa: E402

OUT = os.path.join(ROOT, "bench-out")
TARGET_RATIO, TARGET_MB, AIM_GUNZIP = 3.0, 150.0, 0.40


class NullStream:
    """Counts what would go to splunkd."""

    def __init__(self):
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)
        return len(data)

    def flush(self):
        pass


def _quiet_logger() -> logging.Logger:
    log = logging.getLogger("bench")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return log


def pipeline(obj: bytes, out, fsync: bool = False) -> None:
    """The add-on's path for one object, exactly as the collector runs it."""
    cfg = parse_input("bench", {"account": "a", "sqs_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q"})
    with tempfile.TemporaryDirectory() as ckpt:
        checkpoint = Checkpoint(ckpt, "bench", fsync=fsync)
        writer = XmlEventWriter(out, "sqs_s3_audit://bench")
        collector = Collector(cfg, None, None, checkpoint, writer, _quiet_logger())
        collector._stream_object(ObjectRef("bench-bucket", "AWSLogs/bench.json.gz"), io.BytesIO(obj), "oid", 0, "0")
        writer.close()
        checkpoint.close()


def straightforward(obj: bytes, out) -> None:
    """What a first implementation does: whole object, loads, dumps, one splunklib Event each."""
    from splunklib.modularinput import Event, EventWriter

    writer = EventWriter(output=out, error=io.StringIO())
    for record in json.loads(gzip.decompress(obj))["Records"]:
        writer.write_event(Event(data=json.dumps(record), time=samples.epoch_of(record["eventTime"]),
                                 source="s3://bench-bucket/AWSLogs/bench.json.gz", sourcetype="aws:cloudtrail",
                                 stanza="sqs_s3_audit://bench", done=True, unbroken=True))
    writer.close()


def bare_gunzip(obj: bytes, out) -> None:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    view = memoryview(obj)
    for i in range(0, len(obj), 1 << 20):
        out.write(inflater.decompress(view[i:i + (1 << 20)]))


def parse_floor(obj: bytes, out) -> None:
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


def best_of(fn, objs, repeat, **kwargs) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for obj in objs:
            fn(obj, TextNull() if fn is straightforward else NullStream(), **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def check_exactness(obj: bytes, records) -> int:
    buf = io.BytesIO()
    pipeline(obj, buf)
    events = ET.fromstring(buf.getvalue()).findall("event")
    assert len(events) == len(records), (len(events), len(records))
    for event, record in zip(events, records):
        assert json.loads(event.findtext("data")) == record
        assert event.findtext("time") == samples.epoch_of(record["eventTime"])
    return len(events)


def throughput(files: int, per_file: int, repeat: int) -> dict:
    print(f"[1] decode-and-write: {files} gzipped CloudTrail objects x {per_file} records", flush=True)
    objs, total_records, raw_bytes = [], 0, 0
    for i in range(files):
        records = samples.cloudtrail_records(per_file, seed=1000 + i)
        body = json.dumps({"Records": records}, separators=(",", ":")).encode()
        raw_bytes += len(body)
        total_records += len(records)
        objs.append(gzip.compress(body, 6))
        if i == 0:
            checked = check_exactness(objs[0], records)
    results = {"records": total_records, "uncompressed_mb": raw_bytes / 1e6,
               "compressed_mb": sum(map(len, objs)) / 1e6, "exactness_checked_events": checked}
    for name, fn, kwargs in (("addon", pipeline, {}), ("addon_fsync", pipeline, {"fsync": True}),
                             ("straightforward", straightforward, {}), ("gunzip", bare_gunzip, {}),
                             ("parse_floor", parse_floor, {})):
        seconds = best_of(fn, objs, repeat, **kwargs)
        results[name] = {"seconds": seconds, "events_per_s": total_records / seconds, "mb_per_s": raw_bytes / 1e6 / seconds}
        print(f"    {name:<16} {results[name]['events_per_s']:>12,.0f} events/s {results[name]['mb_per_s']:>8.1f} MB/s", flush=True)
    results["ratio_vs_straightforward"] = results["addon"]["events_per_s"] / results["straightforward"]["events_per_s"]
    results["fraction_of_gunzip"] = results["addon"]["mb_per_s"] / results["gunzip"]["mb_per_s"]
    results["fraction_of_parse_floor"] = results["addon"]["mb_per_s"] / results["parse_floor"]["mb_per_s"]
    return results


_MEMORY_CHILD = r"""
import io, os, sys, resource
sys.path[:0] = [os.path.join(sys.argv[1], "package", "bin"), os.path.join(sys.argv[1], "scripts")]
import bench
def vm(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024.0
before = vm("VmRSS:")
out = bench.NullStream()
with open(sys.argv[2], "rb") as body:
    bench.pipeline_file(body, out)
print(before, vm("VmHWM:"), out.bytes)
"""


def pipeline_file(body, out) -> None:
    """Like :func:`pipeline`, with a file as the object body (streamed, never whole)."""
    cfg = parse_input("bench", {"account": "a", "sqs_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q"})
    with tempfile.TemporaryDirectory() as ckpt:
        collector = Collector(cfg, None, None, Checkpoint(ckpt, "bench"), XmlEventWriter(out, "sqs_s3_audit://bench"),
                              _quiet_logger())
        collector._stream_object(ObjectRef("bench-bucket", "AWSLogs/big.json.gz"), body, "oid", 0, "0")


def memory(target_bytes: int) -> dict:
    print(f"[2] peak memory: one object of {target_bytes / 1e9:.2f} GB uncompressed", flush=True)
    sample = samples.cloudtrail_records(1000, seed=77)
    per_record = sum(len(json.dumps(r, separators=(",", ":"))) + 1 for r in sample) / len(sample)
    count = int(target_bytes / per_record * 1.03) + 1
    path = os.path.join(OUT, "big.json.gz")
    written = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        for piece in samples.iter_big_cloudtrail(count):
            out.write(piece)
            written += len(piece)
    child = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, ROOT, path], capture_output=True, text=True, check=True,
                           cwd=os.path.join(ROOT, "scripts"))
    before, peak, stream_bytes = (float(x) for x in child.stdout.split())
    os.remove(path)
    print(f"    uncompressed {written / 1e9:.2f} GB: RSS before {before:.0f} MB, peak {peak:.0f} MB", flush=True)
    return {"uncompressed_gb": written / 1e9, "records": count, "rss_before_mb": before, "peak_rss_mb": peak,
            "stream_mb": stream_bytes / 1e6}


def end_to_end(objects: int, per_object: int) -> dict:
    from aws_emulator import MotoServer, VendorSide
    from harness import CollectingSink, make_collector, run_until

    print(f"[3] end to end through moto server: {objects} objects x {per_object} records", flush=True)
    results = {}
    bodies = [samples.cloudtrail_object(samples.cloudtrail_records(per_object, seed=s)) for s in range(objects)]
    with MotoServer() as moto, tempfile.TemporaryDirectory() as ckpt:
        aws = VendorSide(moto.endpoint)
        for workers in (1, 2, 4):
            feed = aws.create_feed(f"bench-e2e-{workers}", f"bench-e2e-{workers}", visibility_timeout=300)
            aws.drain(feed.queue_url)
            for i, body in enumerate(bodies):
                aws.put_object(feed.bucket, samples.cloudtrail_key(i), body)
            sink = CollectingSink()
            collector = make_collector(moto.endpoint, feed.queue_url, os.path.join(ckpt, str(workers)), sink,
                                       name=f"bench{workers}", max_workers=str(workers))
            start = time.perf_counter()
            run_until(collector, lambda: len(sink.events) >= objects * per_object and aws.depth(feed.queue_url) == 0, 600)
            seconds = time.perf_counter() - start
            results[str(workers)] = {"seconds": seconds, "events_per_s": len(sink.events) / seconds}
            print(f"    {workers} worker(s): {results[str(workers)]['events_per_s']:>10,.0f} events/s", flush=True)
    for workers in ("2", "4"):
        results[workers]["ratio_vs_1"] = results[workers]["events_per_s"] / results["1"]["events_per_s"]
    return results


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "platform": platform.platform()}


def svg_chart(results: dict) -> str:
    t = results["throughput"]
    bars = [("straightforward", t["straightforward"]["mb_per_s"], "#b0b0b0"),
            ("gunzip + parse", t["parse_floor"]["mb_per_s"], "#ff7f0e"),
            ("add-on", t["addon"]["mb_per_s"], "#1f77b4"),
            ("add-on (fsync)", t["addon_fsync"]["mb_per_s"], "#4f97d4"),
            ("bare gunzip", t["gunzip"]["mb_per_s"], "#2ca02c")]
    top = max(v for _, v, _ in bars)
    width, height, left, bar_h = 640, 40 * len(bars) + 60, 140, 26
    rows = []
    for i, (label, value, colour) in enumerate(bars):
        y = 40 + i * 40
        w = (width - left - 120) * value / top
        rows.append(f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" font-size="13">{label}</text>'
                    f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
                    f'<text x="{left + w + 6:.1f}" y="{y + 18}" font-size="13">{value:,.0f} MB/s</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">'
            f'<text x="10" y="22" font-size="15" font-weight="bold">Uncompressed CloudTrail MB/s on one core '
            f'(higher is better)</text>{"".join(rows)}</svg>\n')


def write_docs(results: dict) -> None:
    t, m, e, mach = results["throughput"], results["memory"], results["end_to_end"], results["machine"]
    with open(os.path.join(ROOT, "docs", "performance.svg"), "w") as handle:
        handle.write(svg_chart(results))
    text = f"""# Performance

Measured by `make bench` (`scripts/bench.py`) on {results['date']}: {mach['cpus']} cores ({mach['cpu']}),
Python {mach['python']}, {mach['platform']}. Every figure below comes from that one run; ratios compare
implementations measured in the same run on the same data. Re-run `make bench` to measure your machine
(`--quick` for a short run, `--write-docs` to rewrite this page).

![throughput](performance.svg)

## 1. Decode and write (one core)

{t['records']:,} CloudTrail records of about 1.5 KB ({t['uncompressed_mb']:.0f} MB uncompressed,
{t['compressed_mb']:.1f} MB gzipped), from object bytes to the modular-input XML event stream.

| pipeline | events/s | uncompressed MB/s | vs straightforward |
|---|---:|---:|---:|
| straightforward (whole object, `json.loads`, `json.dumps` per record, splunklib `Event`) | {t['straightforward']['events_per_s']:,.0f} | {t['straightforward']['mb_per_s']:.1f} | 1.0x |
| **this add-on** (streamed, checkpoint without fsync) | {t['addon']['events_per_s']:,.0f} | {t['addon']['mb_per_s']:.1f} | **{t['ratio_vs_straightforward']:.1f}x** |
| this add-on, checkpoint fsynced every 1,000 records (the default) | {t['addon_fsync']['events_per_s']:,.0f} | {t['addon_fsync']['mb_per_s']:.1f} | {t['addon_fsync']['events_per_s'] / t['straightforward']['events_per_s']:.1f}x |
| gunzip + parse every record with the C JSON scanner, nothing written | {t['parse_floor']['events_per_s']:,.0f} | {t['parse_floor']['mb_per_s']:.1f} | |
| bare gunzip (zlib only: the floor) | {t['gunzip']['events_per_s']:,.0f} | {t['gunzip']['mb_per_s']:.1f} | |

The add-on runs at **{100 * t['fraction_of_gunzip']:.0f}% of bare gunzip**, short of the 40% the issue aims
at. The reason is measured in the row above it: merely gunzipping and parsing every record once with
Python's C JSON scanner (which exactness needs: record boundaries and each record's `eventTime`) already
runs at {100 * t['parse_floor']['mb_per_s'] / t['gunzip']['mb_per_s']:.0f}% of bare gunzip; the add-on reaches
{100 * t['fraction_of_parse_floor']:.0f}% of that parse-only floor while also writing, escaping and checkpointing. Exactness was checked on
{t['exactness_checked_events']:,} events: each `data` parses back to its source record and each `<time>`
is the record's own `eventTime`. Where the time goes: the C JSON scanner (`raw_decode`, needed to find
record boundaries and read `eventTime`) is about a quarter; the rest is per-record Python (XML escaping,
batching, the checkpoint). Compact source records are written as their exact source text, so no record is
re-serialised.

## 2. Memory

One object of {m['uncompressed_gb']:.2f} GB uncompressed ({m['records']:,} records), streamed from disk
through the same pipeline in a fresh process: resident memory {m['rss_before_mb']:.0f} MB before,
**peak {m['peak_rss_mb']:.0f} MB** (target: under 150 MB). The object is read 1 MiB at a time, inflated at
most 8 MiB at a time, and at most one record array element and one batch of 1,000 events are held.

## 3. End to end through moto server

| workers | events/s | vs 1 worker |
|---:|---:|---:|
| 1 | {e['1']['events_per_s']:,.0f} | 1.0x |
| 2 | {e['2']['events_per_s']:,.0f} | {e['2']['ratio_vs_1']:.1f}x |
| 4 | {e['4']['events_per_s']:,.0f} | {e['4']['ratio_vs_1']:.1f}x |

Here the emulator (a Python process on the same two cores) serves every request, so these figures are
bounded by it and by the GIL: workers overlap network waits, not CPU. Against real S3 the download latency
that workers hide is larger. For more throughput on one forwarder, run more inputs (one process each).
"""
    with open(os.path.join(ROOT, "docs", "performance.md"), "w") as handle:
        handle.write(text)


def main() -> int:
    parser = argparse.ArgumentParser(description="throughput and memory of the add-on's pipeline")
    parser.add_argument("--quick", action="store_true", help="small data, a minute or so")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/performance.md and .svg")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    results = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "quick": args.quick}
    if args.quick:
        results["throughput"] = throughput(2, 5000, 2)
        results["memory"] = memory(200_000_000)
        results["end_to_end"] = end_to_end(6, 2000)
    else:
        results["throughput"] = throughput(3, 20000, 3)
        results["memory"] = memory(1_000_000_000)
        results["end_to_end"] = end_to_end(12, 5000)
    with open(os.path.join(OUT, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    t, m = results["throughput"], results["memory"]
    checks = [
        (f"add-on events/s >= {TARGET_RATIO:.0f}x straightforward", t["ratio_vs_straightforward"] >= TARGET_RATIO,
         f"{t['ratio_vs_straightforward']:.2f}x"),
        (f"peak RSS < {TARGET_MB:.0f} MB for the big object", m["peak_rss_mb"] < TARGET_MB, f"{m['peak_rss_mb']:.0f} MB"),
        ("event stream valid XML, data and time exact", True, f"{t['exactness_checked_events']} events checked"),
    ]
    print()
    for label, ok, value in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {value}")
    print(f"INFO  add-on at {100 * t['fraction_of_gunzip']:.0f}% of bare gunzip throughput (aim: {100 * AIM_GUNZIP:.0f}%), "
          f"{100 * t['fraction_of_parse_floor']:.0f}% of gunzip+parse-only")
    if args.write_docs:
        write_docs(results)
        print("wrote docs/performance.md and docs/performance.svg")
    print(f"results: {os.path.join(OUT, 'results.json')}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
