"""Micro-benchmark of the XML event writer's hot path (issue 14: one XML rule, no slower).

Times ``XmlEventWriter.write`` on batches of 1000 events against the writer as it was
before the complete XML 1.0 rule (kept below as ``previous_write``: it escaped only
``& < >`` and relied on the decoders for the rest). Cases: compact CloudTrail JSON
(ASCII, the common case), the same with non-ASCII text, S3 access log lines, and a batch
with one hostile record (ESC) which takes the careful path.

    python3 scripts/bench.py --only xml_writer [--quick]

``run(quick)`` returns the figures for ``scripts/bench.py``.
"""

from __future__ import annotations

import json
import time

from .common import say

import sample_logs as samples
from sqs_s3_audit_splunk.event_writer import XmlEventWriter


class _Null:
    def write(self, data):
        return len(data)

    def flush(self):
        pass


def previous_write(head: str, middle: str, events) -> bytes:
    """The writer's inner loop before the complete rule (the baseline)."""
    tail = "</data></event>\n"
    return "".join(
        [
            head + stamp + middle
            + (data if "<" not in data and "&" not in data and ">" not in data
               else data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            + tail
            for stamp, data in events
        ]
    ).encode("utf-8", "replace")


def _cases(count: int) -> dict:
    records = samples.cloudtrail_records(count)
    compact = [(samples.epoch_of(r["eventTime"]), json.dumps(r, separators=(",", ":"))) for r in records]
    accented = [(t, d.replace("Console", "Consolé")) for t, d in compact]
    lines = [(stamp, line) for line, stamp in samples.access_log_lines(count)]
    hostile = list(compact)
    hostile[count // 2] = (hostile[count // 2][0], "\x1b[31mred\x1b[0m")
    return {"cloudtrail_ascii": compact, "cloudtrail_non_ascii": accented, "access_log_lines": lines,
            "one_hostile_record": hostile}


def report(results: dict) -> None:
    say("\nXML event writer, best batch of 1000 events (vs the writer before the complete XML rule)")
    for case, f in results.items():
        say(f"  {case:22} {f['us_per_batch']:>7,} us  previous {f['previous_us_per_batch']:>7,} us  "
            f"ratio {f['ratio']:.2f}  {f['mb_per_s']:,} MB/s")


def _fresh(events):
    """New string objects (a str caches some of what was computed about it)."""
    return [(t, d.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")) for t, d in events]


def _best(write, events, rounds: int) -> float:
    """Best time of one batch, each round on fresh copies (as every real batch is)."""
    best = float("inf")
    for _ in range(rounds):
        batch = _fresh(events)
        began = time.perf_counter()
        write(batch)
        best = min(best, time.perf_counter() - began)
    return best


def run(quick: bool = False) -> dict:
    rounds = 15 if quick else 60
    writer = XmlEventWriter(_Null(), "sqs_s3_audit://bench")
    head = '<event stanza="sqs_s3_audit://bench"><time>'
    middle = "</time><source>s3://b/k</source><sourcetype>aws:cloudtrail</sourcetype><data>"
    results = {}
    cases = _cases(1000)
    # Warm-up over every case first: glibc malloc raises its mmap threshold after large
    # blocks are freed, which otherwise favours whichever side runs later.
    for events in cases.values():
        previous_write(head, middle, _fresh(events))
        writer.write("s3://b/k", "aws:cloudtrail", _fresh(events))
    for name, events in cases.items():
        size = sum(len(d.encode("utf-8", "surrogatepass")) for _, d in events)
        before = now = float("inf")
        for _ in range(3):  # interleaved, so load from elsewhere hits both sides alike
            before = min(before, _best(lambda batch: previous_write(head, middle, batch), events, rounds // 3))
            now = min(now, _best(lambda batch: writer.write("s3://b/k", "aws:cloudtrail", batch), events, rounds // 3))
        results[name] = {"events": len(events), "data_mb": round(size / 1e6, 2), "us_per_batch": round(now * 1e6),
                         "previous_us_per_batch": round(before * 1e6), "ratio": round(now / before, 3),
                         "mb_per_s": round(size / now / 1e6)}
    return results

