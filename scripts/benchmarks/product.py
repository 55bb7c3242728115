"""The product: the built input, started as splunkd starts it, against moto over HTTP
through the latency proxy. Every measurement has its baseline in the same run:

- small objects: objects/s for max_workers 1/4/16 at 0 and 50 ms per request, next to a
  bare boto3 GetObject loop with as many threads (the ceiling of the rig), a bare queue
  loop (receive 10, GetObject each, DeleteMessageBatch: the ceiling with the SQS work the
  input cannot skip) and the straightforward input; interleaved rounds, median kept;
- cost against object size (1 KB .. 1 GB) and against object count;
- large objects: events/s, MB/s and VmHWM for one 1 GB object, VmHWM for four at once
  with max_workers 4; bare gunzip of the same file as the floor.
"""

from __future__ import annotations

import gzip
import json
import os
import time
import xml.etree.ElementTree as ET
import zlib
from typing import Dict, List

from .common import OUT, median, say
from .rig import Rig

import sample_logs as samples

SMALL_RECORDS = 20  # a small CloudTrail file: ~28 KB of JSON, ~3 KB gzipped
SIZE_LADDER = ((1_000, 100), (10_000, 100), (100_000, 40), (1_000_000, 12), (10_000_000, 3), (100_000_000, 1))
_PER_RECORD = None


def per_record_bytes() -> float:
    global _PER_RECORD
    if _PER_RECORD is None:
        sample = samples.cloudtrail_records(1000, seed=77)
        _PER_RECORD = sum(len(json.dumps(r, separators=(",", ":"))) + 1 for r in sample) / len(sample)
    return _PER_RECORD


def records_for(size: int) -> int:
    return max(1, round(size / per_record_bytes()))


def small_objects(rig: Rig, count: int, rounds: int, delays=(0, 50), workers=(1, 4, 16)) -> dict:
    say(f"[product] {count} small CloudTrail objects ({SMALL_RECORDS} records each), max_workers {workers}, "
        f"{delays} ms per request, {rounds} interleaved round(s)")
    objects = {samples.cloudtrail_key(i, prefix="small"): samples.cloudtrail_object(
        samples.cloudtrail_records(SMALL_RECORDS, seed=5000 + i)) for i in range(count)}
    bodies = rig.upload("bench-small", objects)
    expected = count * SMALL_RECORDS
    runs: Dict[str, List[dict]] = {}
    for round_ in range(rounds):
        for delay in delays:
            endpoint = rig.proxy(delay)
            for w in workers:
                for kind in ("addon", "getobject", "queue"):
                    if kind == "addon":
                        r = rig.run(bodies, endpoint, w, expected, sample_memory=False)
                    elif kind == "getobject":
                        r = rig.ceiling("bench-small", list(objects), endpoint, w)
                    else:
                        r = rig.queue_ceiling(bodies, endpoint, w)
                    runs.setdefault(f"{kind}/{delay}/{w}", []).append(r)
                    say(f"    round {round_ + 1}, {delay:>2} ms, {kind:<9} {w:>2}: {r['objects_per_s']:7.1f} objects/s"
                        + (f"  (VmHWM {r['vmhwm_mb']:.0f} MB, CPU {1e3 * r['cpu_seconds'] / count:.1f} ms/object)"
                           if kind == "addon" else "")
                        + (f"  (per call: receive {r['receive_ms']:.0f} ms for {r['messages_per_receive']:.1f} messages, "
                           f"GetObject {r['getobject_ms']:.0f} ms, DeleteMessageBatch {r['delete_ms']:.0f} ms)"
                           if kind == "queue" else ""))
            if 1 in workers:  # the straightforward input has one thread: beside one worker only
                r = rig.run(bodies, endpoint, 1, expected, kind="naive", sample_memory=False)
                runs.setdefault(f"naive/{delay}/1", []).append(r)
                say(f"    round {round_ + 1}, {delay:>2} ms, naive      1: {r['objects_per_s']:7.1f} objects/s")
    out: dict = {"objects": count, "records_per_object": SMALL_RECORDS, "rounds": rounds,
                 "object_kb_gzipped": sum(map(len, objects.values())) / count / 1e3, "delays": list(delays),
                 "workers": list(workers), "runs": {}}
    for name, done in runs.items():
        rates = [r["objects_per_s"] for r in done]
        out["runs"][name] = {"objects_per_s": median(rates), "every_round": [round(x, 1) for x in rates],
                             "complete": all(r.get("complete", True) for r in done),
                             "vmhwm_mb": max((r.get("vmhwm_mb", 0.0) for r in done), default=0.0),
                             "cpu_ms_per_object": median([1e3 * r.get("cpu_seconds", 0.0) / r["objects"] for r in done])}
        for field in ("receive_ms", "getobject_ms", "delete_ms", "messages_per_receive"):
            if field in done[0]:
                out["runs"][name][field] = median([r[field] for r in done])
    for delay in delays:
        for w in workers:
            addon, ceiling = out["runs"][f"addon/{delay}/{w}"], out["runs"][f"getobject/{delay}/{w}"]
            addon["vs_ceiling"] = addon["objects_per_s"] / ceiling["objects_per_s"]
            addon["vs_queue_loop"] = addon["objects_per_s"] / out["runs"][f"queue/{delay}/{w}"]["objects_per_s"]
            if 1 in workers:
                addon["vs_one_worker"] = addon["objects_per_s"] / out["runs"][f"addon/{delay}/1"]["objects_per_s"]
    out["exactness"] = exactness(rig, bodies, objects, expected)
    return out


def exactness(rig: Rig, bodies: List[str], objects: Dict[str, bytes], expected: int) -> dict:
    """One more run (4 workers, 50 ms) keeping the stream: each record written exactly once,
    its data parsing back to the record, its time the record's eventTime."""
    r = rig.run(bodies, rig.proxy(50), 4, expected, keep=True, sample_memory=False)
    events = ET.fromstring(r["stream"]).findall("event")
    want = {}
    for key, body in objects.items():
        for rec in json.loads(gzip.decompress(body))["Records"]:
            want[(f"s3://bench-small/{key}", rec["eventID"])] = rec
    seen, problems = set(), []
    for event in events:
        data = json.loads(event.findtext("data"))
        name = (event.findtext("source"), data.get("eventID"))
        if name in seen:
            problems.append(f"written twice: {name}")
        seen.add(name)
        if want.get(name) != data:
            problems.append(f"not a source record: {name}")
        elif event.findtext("time") != samples.epoch_of(data["eventTime"]):
            problems.append(f"time {event.findtext('time')} for {data['eventTime']}")
    missing = len(set(want) - seen)
    if missing:
        problems.append(f"{missing} records never written")
    say(f"    exactness: {len(events):,} events for {len(want):,} records, {len(problems)} problem(s) {problems[:2]}")
    return {"events": len(events), "records": len(want), "problems": problems[:20]}


def big_file(records: int) -> str:
    """A CloudTrail object of ``records`` records, gzipped on disk once and kept in bench-out."""
    path = os.path.join(OUT, f"cloudtrail-{records}.json.gz")
    if os.path.exists(path):
        return path
    say(f"    generating {records:,} records to {path} (once)")
    began = time.perf_counter()
    with open(path + ".part", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as out:
        for piece in samples.iter_big_cloudtrail(records):
            out.write(piece)
    os.replace(path + ".part", path)
    say(f"    generated in {time.perf_counter() - began:.0f} s")
    return path


def bare_gunzip(path: str) -> dict:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    size = 0
    began = time.perf_counter()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            size += len(inflater.decompress(chunk))
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "uncompressed_mb": size / 1e6, "mb_per_s": size / 1e6 / seconds}


def sizes(rig: Rig, ladder=SIZE_LADDER, naive_up_to: int = 100_000_000) -> List[dict]:
    """Cost against object size, 0 ms, default 4 workers; the naive input beside it."""
    say("[product] cost against object size (0 ms, max_workers 4)")
    rows = []
    for size, count in ladder:
        per = records_for(size)
        objects = {samples.cloudtrail_key(i, prefix=f"size{size}"): samples.cloudtrail_object(
            samples.cloudtrail_records(per, seed=900 + i)) for i in range(count)}
        raw = sum(len(gzip.decompress(b)) for b in objects.values())
        bucket = f"bench-size-{size}"
        bodies = rig.upload(bucket, objects)
        del objects
        row = {"size_bytes": size, "objects": count, "records_per_object": per, "uncompressed_mb": raw / 1e6}
        for kind in ("addon", "naive") if size <= naive_up_to else ("addon",):
            r = rig.run(bodies, rig.proxy(0), 4 if kind == "addon" else 1, per * count, kind=kind)
            row[kind] = {"seconds_per_object": r["seconds"] / count, "mb_per_s": raw / 1e6 / r["seconds"],
                         "events_per_s": r["events_per_s"], "vmhwm_mb": r["vmhwm_mb"], "complete": r["complete"]}
        rows.append(row)
        say(f"    {size / 1e3:>9,.0f} KB x {count:>3}: add-on {row['addon']['seconds_per_object'] * 1e3:8.1f} ms/object "
            f"{row['addon']['mb_per_s']:6.1f} MB/s VmHWM {row['addon']['vmhwm_mb']:4.0f} MB"
            + (f" | naive {row['naive']['seconds_per_object'] * 1e3:8.1f} ms/object {row['naive']['mb_per_s']:6.1f} MB/s "
               f"VmHWM {row['naive']['vmhwm_mb']:4.0f} MB" if "naive" in row else ""))
    return rows


def counts(rig: Rig, ladder=(100, 300, 1000), delay: int = 0, workers: int = 4) -> List[dict]:
    say(f"[product] cost against object count ({delay} ms, max_workers {workers})")
    top = max(ladder)
    objects = {samples.cloudtrail_key(i, prefix="count"): samples.cloudtrail_object(
        samples.cloudtrail_records(SMALL_RECORDS, seed=7000 + i)) for i in range(top)}
    bodies = rig.upload("bench-count", objects)
    rows = []
    for n in ladder:
        r = rig.run(bodies[:n], rig.proxy(delay), workers, n * SMALL_RECORDS)
        rows.append({"objects": n, "seconds": r["seconds"], "objects_per_s": r["objects_per_s"],
                     "vmhwm_mb": r["vmhwm_mb"], "complete": r["complete"]})
        if n == top:  # the straightforward input on the most objects: does the rig itself slow down?
            naive = rig.run(bodies[:n], rig.proxy(delay), 1, n * SMALL_RECORDS, kind="naive")
            rows[-1]["naive_objects_per_s"] = naive["objects_per_s"]
        say(f"    {n:>5} objects: {r['seconds']:6.1f} s, {r['objects_per_s']:6.1f} objects/s, VmHWM {r['vmhwm_mb']:.0f} MB")
    return rows


def large(rig: Rig, records: int, four_budget: float) -> dict:
    """One big object alone (to the end), then four at once with 4 workers (memory, bounded time)."""
    path = big_file(records)
    floor = bare_gunzip(path)
    say(f"[product] large objects: {floor['uncompressed_mb']:,.0f} MB uncompressed "
        f"({os.path.getsize(path) / 1e6:.0f} MB gzipped); bare gunzip {floor['mb_per_s']:.0f} MB/s")
    keys = {f"AWSLogs/big/{i}.json.gz": path for i in range(4)}
    bodies = rig.upload("bench-large", keys)
    one = rig.run(bodies[:1], rig.proxy(0), 4, records, budget=1800)
    mb = floor["uncompressed_mb"]
    out = {"records": records, "uncompressed_mb": mb, "compressed_mb": os.path.getsize(path) / 1e6, "gunzip": floor,
           "one": {"seconds": one["seconds"], "events": one["events"], "complete": one["complete"],
                   "events_per_s": one["events_per_s"], "mb_per_s": mb / one["seconds"], "vmhwm_mb": one["vmhwm_mb"]}}
    out["one"]["vs_gunzip"] = out["one"]["mb_per_s"] / floor["mb_per_s"]
    say(f"    one object: {one['events']:,} events in {one['seconds']:.0f} s, {one['events_per_s']:,.0f} events/s, "
        f"{out['one']['mb_per_s']:.1f} MB/s, VmHWM {one['vmhwm_mb']:.0f} MB")
    four = rig.run(bodies, rig.proxy(0), 4, 4 * records, budget=four_budget)
    out["four"] = {"seconds": four["seconds"], "events": four["events"], "complete": four["complete"],
                   "budget": four_budget, "vmhwm_mb": four["vmhwm_mb"], "events_per_s": four["events_per_s"]}
    say(f"    four at once, 4 workers: VmHWM {four['vmhwm_mb']:.0f} MB after {four['seconds']:.0f} s "
        f"({four['events']:,} of {4 * records:,} events{'' if four['complete'] else ', stopped at the time budget'})")
    return out
