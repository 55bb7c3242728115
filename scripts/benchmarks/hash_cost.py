"""What hashing CloudTrail log files for digest validation costs (issue 12): events/s with and without.

Reads the same gzipped CloudTrail object through the events stage (``ObjectEvents``: gunzip,
decode, time, compact JSON) and the delivery stage into a sink that drops events, with and
without the SHA-256 of the uncompressed bytes, in interleaved rounds (a shared machine);
the median of each, and the hashed rate as a ratio of the plain one.

    python3 scripts/bench.py --only hash_cost [--quick]
"""

from __future__ import annotations

import gzip
import io
import platform
import tempfile
import time

from .common import median, say

import sample_logs as samples
from sqs_s3_audit_engine.delivery.batches import Delivery
from sqs_s3_audit_engine.delivery.checkpoint import Checkpoint
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.integrity import ContentHash


class NullSink:
    def write(self, source, sourcetype, events):
        pass


def one_round(body: bytes, key: str, hashed: bool, delivery: Delivery, n: int) -> float:
    began = time.perf_counter()
    events = ObjectEvents(io.BytesIO(body), bucket="bench", key=key, content_hash=ContentHash() if hashed else None)
    written = delivery.write_object(events, source="s3://bench/" + key, oid=f"o{n}")
    seconds = time.perf_counter() - began
    assert (("sha256" in events.meta) == hashed) and written.events > 0
    return written.events / seconds


def run(quick: bool = False) -> dict:
    count, rounds = (5000, 5) if quick else (20000, 7)
    body = samples.cloudtrail_object(samples.cloudtrail_records(count))
    key = samples.cloudtrail_key(0)
    raw_size = len(gzip.decompress(body))
    with tempfile.TemporaryDirectory() as tmp:
        delivery = Delivery(NullSink(), Checkpoint(tmp, "hash-cost", fsync=False))
        rates = {False: [], True: []}
        one_round(body, key, False, delivery, -1)  # warm-up
        for n in range(rounds):
            for hashed in ((False, True) if n % 2 == 0 else (True, False)):
                rates[hashed].append(one_round(body, key, hashed, delivery, n * 2 + hashed))
    plain, hashed = median(rates[False]), median(rates[True])
    return {"records": count, "uncompressed_mb": round(raw_size / 1e6, 1), "rounds": rounds,
            "python": platform.python_version(), "plain_events_per_s": round(plain),
            "hashed_events_per_s": round(hashed), "ratio": round(hashed / plain, 3),
            "cost_percent": round(100 * (plain - hashed) / plain, 1)}


def report(r: dict) -> None:
    say(f"\nSHA-256 of CloudTrail files (digest validation): {r['records']:,} records, {r['uncompressed_mb']} MB, "
        f"{r['rounds']} interleaved rounds, median")
    say(f"  without hashing {r['plain_events_per_s']:>9,} events/s\n  with SHA-256    {r['hashed_events_per_s']:>9,} "
        f"events/s  ratio {r['ratio']:.3f} ({r['cost_percent']}% cost)")
