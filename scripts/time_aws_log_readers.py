"""Function-level timing of the AWS text log readers (issue 13) against plain lines.

    python3 scripts/time_aws_log_readers.py [lines]

For each text type, the documented sample lines are repeated to ``lines`` lines (default
200,000), then read three ways on the same bytes: a plain ``split("\\n")`` (the floor),
the engine with ``log_type = text`` (decode + no time: the engine's split-lines baseline),
and the engine with the type's own reader (decode, header handling, time per line). Prints
lines/s and the type's cost relative to the engine baseline. No AWS, no Splunk.
"""

from __future__ import annotations

import io
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "package", "bin"))

from sqs_s3_audit_engine.events import ObjectEvents

SAMPLES = os.path.join(ROOT, "tests", "fixtures", "samples")
CASES = (
    ("elb_access", "elb/mixed_access.log", 0),
    ("cloudfront_access", "cloudfront/E2EXAMPLE.2019-12-04-21.a1b2c3d4.log", 2),
    ("vpc_flow", "vpcflow/default_v2.log", 1),
    ("vpc_flow", "vpcflow/custom_v3_tcp_flags.log", 1),
    ("s3_access", "s3_access.log", 0),
)


def body_of(path: str, header_lines: int, total: int) -> bytes:
    with open(os.path.join(SAMPLES, path), encoding="utf-8") as f:
        rows = [x.rstrip("\n") for x in f if x.strip()]
    head, records = rows[:header_lines], rows[header_lines:]
    repeated = (records * (total // len(records) + 1))[:total]
    return ("\n".join(head + repeated) + "\n").encode("utf-8")


def rate(fn, body: bytes, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        count = fn(body)
        best = min(best, time.perf_counter() - began)
    return count / best


def plain(body: bytes) -> int:
    return sum(1 for line in body.decode("utf-8").split("\n") if line)


def engine(log_type: str):
    def run(body: bytes) -> int:
        return sum(1 for _ in ObjectEvents(io.BytesIO(body), bucket="b", key="k", log_type=log_type))
    return run


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    print(f"{'type':18} {'sample':32} {'split':>11} {'text':>11} {'type':>11} {'type/text':>9}")
    for log_type, path, header in CASES:
        body = body_of(path, header, total)
        split_rate, text_rate, type_rate = rate(plain, body), rate(engine("text"), body), rate(engine(log_type), body)
        print(f"{log_type:18} {os.path.basename(path)[:32]:32} {split_rate:11,.0f} {text_rate:11,.0f} "
              f"{type_rate:11,.0f} {type_rate / text_rate:9.2f}")
    print("(lines per second, best of 3; 'text' = the engine reading the same bytes as log_type text)")


if __name__ == "__main__":
    main()
