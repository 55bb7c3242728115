"""Large objects end to end (issue 24): the built input against the straightforward input
on ten CloudTrail objects of 20,000 records, under Python 3.9 and 3.13, in the same run.

Both inputs are started as in the product runs (``rig.py``: the built input as splunkd
starts it, configuration XML on stdin, moto server over HTTP, 0 ms added) on a fresh queue
holding the ten objects' S3 notifications; time from the first poll until every event is
on stdout and the queue is empty. The floor (``floor.py``, the same Python, the same
files): bare gunzip, and gunzip + ``json.loads`` of every record. Rounds interleave the
Pythons and the variants (a shared machine); the median round is kept, with CPU seconds
of the input process beside the wall time (less sensitive to other work on the machine).

    python3 scripts/bench.py --only large_e2e [--quick]
"""

from __future__ import annotations

import gzip
import os
import subprocess
import time

from .common import OUT, input_python, median, say
from .rig import HERE, Rig

import sample_logs as samples

OBJECTS, RECORDS = 10, 20_000
WORKERS = 8  # the input's default max_workers
TARGET = 4.0  # the built input vs the straightforward input, events/s


def objects() -> dict:
    """The ten objects, generated once into bench-out (key -> path)."""
    out = {}
    for i in range(OBJECTS):
        path = os.path.join(OUT, f"large-e2e-{RECORDS}-{i}.json.gz")
        if not os.path.exists(path):
            with open(path + ".part", "wb") as handle:
                handle.write(samples.cloudtrail_object(samples.cloudtrail_records(RECORDS, seed=24_000 + i)))
            os.replace(path + ".part", path)
        out[samples.cloudtrail_key(i, prefix="large")] = path
    return out


def _floor(python: str, paths: list) -> dict:
    got = subprocess.run([python, os.path.join(HERE, "floor.py")] + paths, capture_output=True, text=True,
                         timeout=600)
    if got.returncode:
        raise SystemExit(f"floor failed: {got.stderr[-2000:]}")
    records, size, gunzip, parse, gunzip_cpu, parse_cpu = got.stdout.split()
    return {"records": int(records), "bytes": int(size), "gunzip_s": float(gunzip), "parse_s": float(parse),
            "gunzip_cpu_s": float(gunzip_cpu), "parse_cpu_s": float(parse_cpu)}


def run(quick: bool = False) -> dict:
    rounds = 1 if quick else 3
    pythons = {}
    for name in ("py39", "py313"):
        path = input_python(name)
        version = subprocess.run([path, "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True).stdout.strip()
        pythons[version] = path
    files = objects()
    paths = list(files.values())
    mb = sum(len(gzip.decompress(open(p, "rb").read())) for p in paths) / 1e6
    gz_mb = sum(os.path.getsize(p) for p in paths) / 1e6
    expected = OBJECTS * RECORDS
    say(f"[large_e2e] {OBJECTS} CloudTrail objects of {RECORDS:,} records ({mb:.0f} MB uncompressed, {gz_mb:.0f} MB "
        f"gzipped), max_workers {WORKERS}, 0 ms, Pythons {', '.join(pythons)}, {rounds} interleaved round(s)")
    runs: dict = {}
    with Rig(next(iter(pythons.values()))) as rig:
        bodies = rig.upload("bench-large-e2e", files)
        endpoint = rig.proxy(0)
        for round_ in range(rounds):
            order = list(pythons.items()) if round_ % 2 == 0 else list(reversed(pythons.items()))
            for version, python in order:
                rig.python = python
                kinds = ("addon", "naive") if round_ % 2 == 0 else ("naive", "addon")
                for kind in kinds:
                    r = rig.run(bodies, endpoint, WORKERS if kind == "addon" else 1, expected, kind=kind)
                    runs.setdefault(f"{version}/{kind}", []).append(r)
                    say(f"    round {round_ + 1}, Python {version}, {kind:<5}: {r['events']:,} events in "
                        f"{r['seconds']:5.2f} s, {r['events_per_s']:8,.0f} events/s, {mb / r['seconds']:6.1f} MB/s, "
                        f"CPU {r['cpu_seconds']:5.2f} s, VmHWM {r['vmhwm_mb']:.0f} MB"
                        + ("" if r["complete"] else "  INCOMPLETE " + r.get("stderr_tail", "")[-300:]))
                f = _floor(python, paths)
                runs.setdefault(f"{version}/floor", []).append(f)
                say(f"    round {round_ + 1}, Python {version}, floor: gunzip {mb / f['gunzip_s']:6.1f} MB/s, "
                    f"gunzip + json.loads {mb / f['parse_s']:6.1f} MB/s")
    out: dict = {"objects": OBJECTS, "records_per_object": RECORDS, "uncompressed_mb": round(mb, 1),
                 "compressed_mb": round(gz_mb, 1), "workers": WORKERS, "rounds": rounds, "target": TARGET,
                 "pythons": {}}
    for version in pythons:
        row: dict = {}
        for kind in ("addon", "naive"):
            done = runs[f"{version}/{kind}"]
            secs = median([r["seconds"] for r in done])
            cpu = median([r["cpu_seconds"] for r in done])
            row[kind] = {"seconds": round(secs, 3), "events_per_s": round(expected / secs), "mb_per_s": round(mb / secs, 1),
                         "cpu_seconds": round(cpu, 2), "cpu_us_per_event": round(1e6 * cpu / expected, 1),
                         "complete": all(r["complete"] for r in done), "vmhwm_mb": max(r["vmhwm_mb"] for r in done),
                         "every_round_events_per_s": [round(r["events_per_s"]) for r in done]}
        floor = runs[f"{version}/floor"]
        row["gunzip_mb_per_s"] = round(mb / median([f["gunzip_s"] for f in floor]), 1)
        row["parse_mb_per_s"] = round(mb / median([f["parse_s"] for f in floor]), 1)
        row["parse_events_per_s"] = round(expected / median([f["parse_s"] for f in floor]))
        row["ratio"] = round(row["addon"]["events_per_s"] / row["naive"]["events_per_s"], 2)
        row["every_round_ratio"] = [round(a["seconds"] and n["seconds"] / a["seconds"], 2)
                                    for a, n in zip(runs[f"{version}/addon"], runs[f"{version}/naive"])]
        row["cpu_ratio"] = round(row["naive"]["cpu_seconds"] / row["addon"]["cpu_seconds"], 2)
        row["vs_parse_floor"] = round(row["addon"]["mb_per_s"] / row["parse_mb_per_s"], 3)
        row["vs_gunzip"] = round(row["addon"]["mb_per_s"] / row["gunzip_mb_per_s"], 3)
        # CPU-based: MB per CPU second of the input process against the floor's (one thread
        # each way; less sensitive to other work on a shared machine than wall time).
        row["parse_cpu_mb_per_s"] = round(mb / median([f["parse_cpu_s"] for f in floor]), 1)
        row["addon_cpu_mb_per_s"] = round(mb / row["addon"]["cpu_seconds"], 1)
        row["cpu_vs_parse_floor"] = round(row["addon_cpu_mb_per_s"] / row["parse_cpu_mb_per_s"], 3)
        out["pythons"][version] = row
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return out


def report(r: dict) -> None:
    say(f"\nlarge objects end to end: {r['objects']} CloudTrail objects x {r['records_per_object']:,} records, "
        f"{r['uncompressed_mb']} MB uncompressed, {r['rounds']} interleaved round(s), median")
    say(f"  {'Python':<8} {'add-on ev/s':>12} {'MB/s':>7} {'naive ev/s':>11} {'MB/s':>7} {'ratio':>6} {'CPU ratio':>9}"
        f" {'gunzip+parse MB/s':>18} {'add-on/floor':>12} {'gunzip MB/s':>12}")
    for version, p in r["pythons"].items():
        say(f"  {version:<8} {p['addon']['events_per_s']:>12,} {p['addon']['mb_per_s']:>7.1f} "
            f"{p['naive']['events_per_s']:>11,} {p['naive']['mb_per_s']:>7.1f} {p['ratio']:>5.2f}x {p['cpu_ratio']:>8.2f}x"
            f" {p['parse_mb_per_s']:>18.1f} {100 * p['vs_parse_floor']:>11.1f}% {p['gunzip_mb_per_s']:>12.1f}")
        say(f"           every round: add-on vs straightforward {', '.join(f'{x:.2f}x' for x in p['every_round_ratio'])};"
            f" per CPU second: add-on {p['addon_cpu_mb_per_s']:.1f} MB, gunzip + parse {p['parse_cpu_mb_per_s']:.1f} MB"
            f" ({100 * p['cpu_vs_parse_floor']:.1f}%)")
