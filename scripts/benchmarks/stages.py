"""Where a large CloudTrail object's time goes, stage by stage, in process on one core
(issue 24): each row runs the stages before it plus one more on the same objects, so the
difference between rows is what that stage costs. Run with the input's Python:

    python3.9 scripts/benchmarks/stages.py [objects.json.gz ...]   # default: bench-out/large-e2e-*
    STAGES_UNTUNED=1 ...    # without the input's allocator thresholds (malloc_tuning)

Prints per row: CPU microseconds per record and CPU milliseconds per uncompressed MB
(``time.process_time``, less sensitive than wall time to other work on a shared machine;
best of interleaved rounds), and the step from the row before. The fsync row is wall time
(fsync waits without using the CPU).
"""

from __future__ import annotations

import glob
import io
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# STAGES_CODE=<dir holding sqs_s3_audit_engine/>: measure another copy of the code (before/after).
sys.path.insert(0, os.environ.get("STAGES_CODE") or os.path.join(ROOT, "package", "bin"))

from sqs_s3_audit_engine.decoders import event_text
from sqs_s3_audit_engine.delivery.batches import Delivery
from sqs_s3_audit_engine.delivery.checkpoint import Checkpoint
from sqs_s3_audit_engine.events import ObjectEvents, read_records
from sqs_s3_audit_engine.integrity import ContentHash
from sqs_s3_audit_engine.objects import as_text, decompressed, iter_body
from sqs_s3_audit_splunk.event_writer import XmlEventWriter

try:  # the allocator as the input sets it (absent in older code given by STAGES_CODE)
    from sqs_s3_audit_splunk.malloc_tuning import tune
except ImportError:
    def tune() -> bool:
        return False

KEY = "AWSLogs/123456789012/CloudTrail/us-east-1/2025/03/04/123456789012_CloudTrail_us-east-1_20250304T1630Z_b.json.gz"


class _Null:
    def write(self, data):
        return len(data)

    def flush(self):
        pass


def _inflate(body):
    for _ in decompressed(iter_body(io.BytesIO(body)), "b", KEY):
        pass


def _hash(body):
    h = ContentHash()
    for chunk in decompressed(iter_body(io.BytesIO(body)), "b", KEY):
        h.update(chunk)


def _text(body):
    h = ContentHash()
    for _ in as_text(h.update(c) or c for c in decompressed(iter_body(io.BytesIO(body)), "b", KEY)):
        pass


def _records(body):
    for _ in read_records(io.BytesIO(body), "b", KEY):
        pass


def _event_text(body):
    for item in read_records(io.BytesIO(body), "b", KEY):
        event_text(item)


def _events(body):
    for _ in ObjectEvents(io.BytesIO(body), bucket="b", key=KEY, content_hash=ContentHash()):
        pass


def _delivery(sink):
    done = [0]

    def run(body):
        done[0] += 1
        events = ObjectEvents(io.BytesIO(body), bucket="b", key=KEY, content_hash=ContentHash())
        sink.write_object(events, source="s3://b/" + KEY, oid=f"o{done[0]}")
    return run


class _Drop:
    def write(self, source, sourcetype, events):
        pass


def main() -> int:
    tuned = tune() if not os.environ.get("STAGES_UNTUNED") else False
    paths = sys.argv[1:] or sorted(glob.glob(os.path.join(ROOT, "bench-out", "large-e2e-*.json.gz")))[:3]
    bodies = [open(p, "rb").read() for p in paths]
    import zlib

    mb = sum(len(zlib.decompress(b, 31)) for b in bodies) / 1e6
    records = sum(1 for b in bodies for _ in read_records(io.BytesIO(b), "b", KEY))
    tmp = tempfile.mkdtemp()
    rows = [
        ("gunzip (decompressed, 1 MiB steps)", _inflate),
        ("+ SHA-256 of the uncompressed bytes", _hash),
        ("+ UTF-8 decode (as_text)", _text),
        ("+ split and parse records (read_records, no hash)", _records),
        ("+ event_text (compact JSON check)", _event_text),
        ("ObjectEvents: + hash, timestamps, positions", _events),
        ("+ Delivery, batches and checkpoint (sink drops)", _delivery(Delivery(_Drop(), Checkpoint(tmp, "d", fsync=False)))),
        ("+ XmlEventWriter to a null stream", _delivery(Delivery(XmlEventWriter(_Null(), "sqs_s3_audit://b", index="main"),
                                                                 Checkpoint(tmp, "w", fsync=False)))),
        ("+ checkpoint fsync (the default)", _delivery(Delivery(XmlEventWriter(_Null(), "sqs_s3_audit://b", index="main"),
                                                                Checkpoint(tmp, "f", fsync=True)))),
    ]
    best = {name: float("inf") for name, _ in rows}
    for _ in range(int(os.environ.get("ROUNDS", "3"))):
        for name, fn in rows:
            clock = time.perf_counter if "fsync" in name else time.process_time
            began = clock()
            for body in bodies:
                fn(body)
            best[name] = min(best[name], clock() - began)
    print(f"Python {sys.version.split()[0]}: {len(bodies)} objects, {records:,} records, {mb:.1f} MB uncompressed, "
          f"allocator {'tuned' if tuned else 'untuned'}")
    before = 0.0
    for name, _ in rows:
        s = best[name]
        print(f"  {name:<52} {1e6 * s / records:6.2f} us/record {1e3 * s / mb:7.2f} ms/MB"
              f"  step {1e6 * (s - before) / records:+6.2f} us/record")
        before = s
    return 0


if __name__ == "__main__":
    sys.exit(main())
