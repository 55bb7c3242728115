#!/usr/bin/env python3
"""What hashing CloudTrail log files for digest validation costs: events/s with and without.

Reads the same gzipped CloudTrail object through the events stage (``ObjectEvents``: gunzip,
decode, time, compact JSON) and the delivery stage into a sink that drops events, with and
without the SHA-256 of the uncompressed bytes, in interleaved rounds (a shared machine),
and prints the median of each. Usage: ``python scripts/hash_cost.py [records] [rounds]``.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "package", "bin"), os.path.join(ROOT, "scripts")]

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


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    body = samples.cloudtrail_object(samples.cloudtrail_records(count))
    key = samples.cloudtrail_key(0)
    raw_size = len(__import__("gzip").decompress(body))
    with tempfile.TemporaryDirectory() as tmp:
        delivery = Delivery(NullSink(), Checkpoint(tmp, "hash-cost", fsync=False))
        rates = {False: [], True: []}
        one_round(body, key, False, delivery, -1)  # warm-up
        for n in range(rounds):
            for hashed in ((False, True) if n % 2 == 0 else (True, False)):
                rates[hashed].append(one_round(body, key, hashed, delivery, n * 2 + hashed))
    plain, hashed = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"python {sys.version.split()[0]}, {count} CloudTrail records, {raw_size / 1e6:.1f} MB uncompressed, "
          f"{rounds} interleaved rounds, load average {os.getloadavg()[0]:.2f}")
    print(f"without hashing: {plain:,.0f} events/s (median)")
    print(f"with SHA-256:    {hashed:,.0f} events/s (median)")
    print(f"cost: {100 * (plain - hashed) / plain:.1f}% of events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
