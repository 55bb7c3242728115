"""Small objects on the fast-SQS rig: the built input with SQS served by the SQS stand-in
(``scripts/sqs_standin.py``, O(1) receive) and S3 by moto, each behind its own latency
proxy, so what limits a run is the input and not moto's SQS (about 20 ms of CPU per object
on the moto rig). Beside it, in the same interleaved rounds and with as many threads: the
bare queue loop (receive 10, GetObject each, DeleteMessageBatch) on the same stand-in, and
the bare GetObject loop. Objects/s, the input's share of each loop, and CPU ms per object of
the input (start-up left out) and of the loops.
"""

from __future__ import annotations

from typing import Dict, List

from .common import median, say
from .rig import Rig

import sample_logs as samples

TARGET_VS_LOOP = 0.75  # input objects/s vs the bare queue loop, as many threads
TARGET_CPU = 1.5  # input CPU per object vs the bare queue loop's
KINDS = ("addon", "queue", "getobject")


def small_objects(rig: Rig, count: int, rounds: int, delays=(50,), workers=(4, 8, 16)) -> dict:
    from .product import SMALL_RECORDS

    say(f"[product] fast SQS: {count} small CloudTrail objects ({SMALL_RECORDS} records each), SQS stand-in and "
        f"moto S3, max_workers {workers}, {delays} ms per request, {rounds} interleaved round(s)")
    objects = {samples.cloudtrail_key(i, prefix="fast"): samples.cloudtrail_object(
        samples.cloudtrail_records(SMALL_RECORDS, seed=8000 + i)) for i in range(count)}
    bodies = rig.upload("bench-small-fast", objects)
    expected = count * SMALL_RECORDS
    runs: Dict[str, List[dict]] = {}
    for round_ in range(rounds):
        for delay in delays:
            s3 = rig.proxy(delay)
            sqs = rig.proxy(delay, rig.fast_sqs())
            for w in workers:
                order = KINDS[round_ % 3:] + KINDS[:round_ % 3]  # no kind always first on a shared machine
                for kind in order:
                    if kind == "addon":
                        r = rig.run(bodies, s3, w, expected, sample_memory=False, sqs_endpoint=sqs)
                    elif kind == "queue":
                        r = rig.queue_ceiling(bodies, s3, w, sqs_endpoint=sqs)
                    else:
                        r = rig.ceiling("bench-small-fast", list(objects), s3, w)
                    runs.setdefault(f"{kind}/{delay}/{w}", []).append(r)
                    say(f"    round {round_ + 1}, {delay:>2} ms, {kind:<9} {w:>2}: {r['objects_per_s']:7.1f} objects/s, "
                        f"CPU {1e3 * r['cpu_seconds'] / count:.2f} ms/object"
                        + (f"  (receive {r['receive_ms']:.0f} ms for {r['messages_per_receive']:.1f} messages)"
                           if kind == "queue" else ""))
    out: dict = {"objects": count, "records_per_object": SMALL_RECORDS, "rounds": rounds, "delays": list(delays),
                 "workers": list(workers), "sqs": "scripts/sqs_standin.py", "s3": "moto", "runs": {}}
    for name, done in runs.items():
        rates = [r["objects_per_s"] for r in done]
        out["runs"][name] = {"objects_per_s": median(rates), "every_round": [round(x, 1) for x in rates],
                             "complete": all(r.get("complete", True) for r in done),
                             "cpu_ms_per_object": median([1e3 * r["cpu_seconds"] / r["objects"] for r in done])}
        if done[0].get("kind") == "queue":
            out["runs"][name]["messages_per_receive"] = median([r["messages_per_receive"] for r in done])
    for delay in delays:
        for w in workers:
            addon, loop = out["runs"][f"addon/{delay}/{w}"], out["runs"][f"queue/{delay}/{w}"]
            addon["vs_queue_loop"] = addon["objects_per_s"] / loop["objects_per_s"]
            addon["vs_getobject_loop"] = addon["objects_per_s"] / out["runs"][f"getobject/{delay}/{w}"]["objects_per_s"]
            addon["cpu_vs_queue_loop"] = addon["cpu_ms_per_object"] / max(1e-9, loop["cpu_ms_per_object"])
    return out


def checks(s: dict) -> list:
    """(label, target, measured, status) rows for the report."""
    rows = []
    slow = max(s["delays"])
    for w in s["workers"]:
        r = s["runs"][f"addon/{slow}/{w}"]
        rows.append((f"fast SQS, {slow} ms, {w} workers: objects/s vs queue loop", f">= {100 * TARGET_VS_LOOP:.0f}%",
                     f"{r['objects_per_s']:.1f}/s = {100 * r['vs_queue_loop']:.0f}%",
                     "PASS" if r["complete"] and r["vs_queue_loop"] >= TARGET_VS_LOOP else "FAIL"))
        rows.append((f"fast SQS, {slow} ms, {w} workers: CPU per object vs queue loop", f"<= {TARGET_CPU:.1f}x",
                     f"{r['cpu_ms_per_object']:.2f} ms = {r['cpu_vs_queue_loop']:.2f}x",
                     "PASS" if r["cpu_vs_queue_loop"] <= TARGET_CPU else "FAIL"))
    if 8 in s["workers"] and 16 in s["workers"]:
        eight, sixteen = s["runs"][f"addon/{slow}/8"], s["runs"][f"addon/{slow}/16"]
        rows.append((f"fast SQS, {slow} ms: 16 workers faster than 8", "> 1.00x",
                     f"{sixteen['objects_per_s'] / eight['objects_per_s']:.2f}x",
                     "PASS" if sixteen["objects_per_s"] > eight["objects_per_s"] else "FAIL"))
    return rows


def print_table(s: dict) -> None:
    print(f"\nsmall objects, fast SQS ({s['sqs']}, S3 {s['s3']}), objects/s and CPU ms per object (median of rounds)")
    print(f"  {'ms':>3} {'workers':>7} {'add-on':>8} {'queue loop':>11} {'share':>6} {'GetObject loop':>15} {'share':>6}"
          f" {'CPU add-on':>11} {'CPU loop':>9} {'ratio':>6}")
    for d in s["delays"]:
        for w in s["workers"]:
            a, q, g = (s["runs"][f"{k}/{d}/{w}"] for k in KINDS)
            print(f"  {d:>3} {w:>7} {a['objects_per_s']:>8.1f} {q['objects_per_s']:>11.1f} {100 * a['vs_queue_loop']:>5.0f}%"
                  f" {g['objects_per_s']:>15.1f} {100 * a['vs_getobject_loop']:>5.0f}% {a['cpu_ms_per_object']:>11.2f}"
                  f" {q['cpu_ms_per_object']:>9.2f} {a['cpu_vs_queue_loop']:>5.2f}x")
