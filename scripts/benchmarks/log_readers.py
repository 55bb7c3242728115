"""The AWS text log readers (issue 13) and the CSV reader (issue 22) against plain split
lines, in process.

For each text type, the documented sample lines are repeated to ``lines`` lines, then read
three ways on the same bytes: a plain ``split("\\n")`` (the floor), the engine with
``log_type = text`` (decode + no time: the engine's split-lines baseline), and the engine
with the type's own reader (decode, header handling, time per line). Lines/s (best of
rounds, the three interleaved) and the type's rate as a ratio of each baseline.

    python3 scripts/bench.py --only log_readers [--quick]
"""

from __future__ import annotations

import io
import os
import time

from .common import ROOT, say

from sqs_s3_audit_engine.events import ObjectEvents

SAMPLES = os.path.join(ROOT, "tests", "fixtures", "samples")
CASES = (
    ("elb_access", "elb/mixed_access.log", 0),
    ("cloudfront_access", "cloudfront/E2EXAMPLE.2019-12-04-21.a1b2c3d4.log", 2),
    ("vpc_flow", "vpcflow/default_v2.log", 1),
    ("vpc_flow", "vpcflow/custom_v3_tcp_flags.log", 1),
    ("s3_access", "s3_access.log", 0),
    ("csv", "csv/rfc4180_section2.csv", 1),  # issue 22: rows -> JSON objects, against the same lines as text
)


def body_of(path: str, header_lines: int, total: int) -> bytes:
    with open(os.path.join(SAMPLES, path), encoding="utf-8") as f:
        rows = [x.rstrip("\n") for x in f if x.strip()]
    head, records = rows[:header_lines], rows[header_lines:]
    repeated = (records * (total // len(records) + 1))[:total]
    return ("\n".join(head + repeated) + "\n").encode("utf-8")


def _seconds(fn, body: bytes) -> tuple:
    began = time.perf_counter()
    count = fn(body)
    return count, time.perf_counter() - began


def plain(body: bytes) -> int:
    return sum(1 for line in body.decode("utf-8").split("\n") if line)


def engine(log_type: str):
    def read(body: bytes) -> int:
        return sum(1 for _ in ObjectEvents(io.BytesIO(body), bucket="b", key="k", log_type=log_type))
    return read


def run(quick: bool = False) -> list:
    total, rounds = (20_000, 3) if quick else (200_000, 5)
    out = []
    for log_type, path, header in CASES:
        body = body_of(path, header, total)
        ways = {"split": plain, "text": engine("text"), "type": engine(log_type)}
        best = {name: float("inf") for name in ways}
        lines = {}
        for _ in range(rounds):  # interleaved, so load from elsewhere hits every way alike
            for name, fn in ways.items():
                lines[name], seconds = _seconds(fn, body)
                best[name] = min(best[name], seconds)
        rate = {name: lines[name] / best[name] for name in ways}
        out.append({"log_type": log_type, "sample": os.path.basename(path), "lines": lines["type"],
                    "split_lines_per_s": round(rate["split"]), "text_lines_per_s": round(rate["text"]),
                    "type_lines_per_s": round(rate["type"]), "ratio_vs_text": round(rate["type"] / rate["text"], 3),
                    "ratio_vs_split": round(rate["type"] / rate["split"], 3), "rounds": rounds})
    return out


def report(rows: list) -> None:
    say("\ntext log readers, lines/s (best of interleaved rounds; text = the engine as log_type text)")
    say(f"  {'type':18} {'sample':32} {'split':>11} {'text':>11} {'type':>11} {'vs text':>8} {'vs split':>8}")
    for r in rows:
        say(f"  {r['log_type']:18} {r['sample'][:32]:32} {r['split_lines_per_s']:11,} {r['text_lines_per_s']:11,} "
            f"{r['type_lines_per_s']:11,} {r['ratio_vs_text']:8.2f} {r['ratio_vs_split']:8.2f}")
