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
    LARGE_E2E_BEFORE=<an older built app dir> python3 scripts/bench.py --only large_e2e
        # also that build ("before"), in the same rounds, against the same baselines
"""

from __future__ import annotations

import gzip
import os
import subprocess
import time

from .common import OUT, input_python, loadavg, median, say
from . import rig as rig_module
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
    records, size, gunzip, parse, each, gunzip_cpu, parse_cpu, each_cpu = got.stdout.split()
    return {"records": int(records), "bytes": int(size), "gunzip_s": float(gunzip), "parse_s": float(parse),
            "each_s": float(each), "gunzip_cpu_s": float(gunzip_cpu), "parse_cpu_s": float(parse_cpu),
            "each_cpu_s": float(each_cpu)}


def run(quick: bool = False) -> dict:
    rounds = 1 if quick else 3
    pythons = {}
    for name in ("py39", "py313"):
        path = input_python(name)
        version = subprocess.run([path, "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True).stdout.strip()
        pythons[version] = path
    load_start = loadavg()
    files = objects()
    paths = list(files.values())
    mb = sum(len(gzip.decompress(open(p, "rb").read())) for p in paths) / 1e6
    gz_mb = sum(os.path.getsize(p) for p in paths) / 1e6
    expected = OBJECTS * RECORDS
    say(f"[large_e2e] {OBJECTS} CloudTrail objects of {RECORDS:,} records ({mb:.0f} MB uncompressed, {gz_mb:.0f} MB "
        f"gzipped), max_workers {WORKERS}, 0 ms, Pythons {', '.join(pythons)}, {rounds} interleaved round(s)")
    before = os.environ.get("LARGE_E2E_BEFORE", "")
    variants = ("addon", "naive") + (("before",) if before else ())
    runs: dict = {}
    with Rig(next(iter(pythons.values()))) as rig:
        bodies = rig.upload("bench-large-e2e", files)
        endpoint = rig.proxy(0)
        for round_ in range(rounds):
            order = list(pythons.items()) if round_ % 2 == 0 else list(reversed(pythons.items()))
            for version, python in order:
                rig.python = python
                kinds = variants if round_ % 2 == 0 else tuple(reversed(variants))
                for kind in kinds:
                    script = rig_module.SCRIPT
                    if kind == "before":  # the older build, started the same way
                        rig_module.SCRIPT = os.path.join(before, "bin", "sqs_s3_audit.py")
                    try:
                        r = rig.run(bodies, endpoint, 1 if kind == "naive" else WORKERS, expected,
                                    kind="naive" if kind == "naive" else "addon")
                    finally:
                        rig_module.SCRIPT = script
                    runs.setdefault(f"{version}/{kind}", []).append(r)
                    say(f"    round {round_ + 1}, Python {version}, {kind:<6}: {r['events']:,} events in "
                        f"{r['seconds']:5.2f} s, {r['events_per_s']:8,.0f} events/s, {mb / r['seconds']:6.1f} MB/s, "
                        f"CPU {r['cpu_seconds']:5.2f} s, VmHWM {r['vmhwm_mb']:.0f} MB"
                        + ("" if r["complete"] else "  INCOMPLETE " + r.get("stderr_tail", "")[-300:]))
                f = _floor(python, paths)
                runs.setdefault(f"{version}/floor", []).append(f)
                say(f"    round {round_ + 1}, Python {version}, floor: gunzip {mb / f['gunzip_s']:6.1f} MB/s, "
                    f"gunzip + json.loads {mb / f['parse_s']:6.1f} MB/s, gunzip + each record parsed in turn "
                    f"{mb / f['each_s']:6.1f} MB/s")
    out: dict = {"objects": OBJECTS, "records_per_object": RECORDS, "uncompressed_mb": round(mb, 1),
                 "compressed_mb": round(gz_mb, 1), "workers": WORKERS, "rounds": rounds, "target": TARGET,
                 "pythons": {}}
    for version in pythons:
        row: dict = {}
        for kind in variants:
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
        if before:
            row["before_ratio"] = round(row["before"]["events_per_s"] / row["naive"]["events_per_s"], 2)
            row["before_cpu_ratio"] = round(row["naive"]["cpu_seconds"] / row["before"]["cpu_seconds"], 2)
        row["vs_parse_floor"] = round(row["addon"]["mb_per_s"] / row["parse_mb_per_s"], 3)
        row["vs_gunzip"] = round(row["addon"]["mb_per_s"] / row["gunzip_mb_per_s"], 3)
        # CPU-based: MB per CPU second of the input process against the floor's (one thread
        # each way; less sensitive to other work on a shared machine than wall time).
        row["parse_cpu_mb_per_s"] = round(mb / median([f["parse_cpu_s"] for f in floor]), 1)
        row["addon_cpu_mb_per_s"] = round(mb / row["addon"]["cpu_seconds"], 1)
        row["cpu_vs_parse_floor"] = round(row["addon_cpu_mb_per_s"] / row["parse_cpu_mb_per_s"], 3)
        row["each_mb_per_s"] = round(mb / median([f["each_s"] for f in floor]), 1)
        row["each_cpu_mb_per_s"] = round(mb / median([f["each_cpu_s"] for f in floor]), 1)
        row["vs_each_floor"] = round(row["addon"]["mb_per_s"] / row["each_mb_per_s"], 3)
        row["cpu_vs_each_floor"] = round(row["addon_cpu_mb_per_s"] / row["each_cpu_mb_per_s"], 3)
        out["pythons"][version] = row
    if before:
        out["before_app"] = before
    out["loadavg"] = [load_start, loadavg()]
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
            f" ({100 * p['cpu_vs_parse_floor']:.1f}%), gunzip + each record {p['each_cpu_mb_per_s']:.1f} MB"
            f" ({100 * p['cpu_vs_each_floor']:.1f}%)")
        if "before" in p:
            say(f"           before ({r.get('before_app', '')}): {p['before']['events_per_s']:,} events/s, "
                f"{p['before_ratio']:.2f}x the straightforward input (CPU {p['before_cpu_ratio']:.2f}x)")


def docs_section(r: dict) -> str:
    """The section of docs/performance.md written from this part's figures."""
    rows, floors = [], []
    for version, p in r["pythons"].items():
        a, n = p["addon"], p["naive"]
        rows.append(f"| {version} | **{a['events_per_s']:,}** | {a['mb_per_s']:.1f} | {n['events_per_s']:,} | "
                    f"{n['mb_per_s']:.1f} | **{p['ratio']:.2f}x** ({', '.join(f'{x:.2f}' for x in p['every_round_ratio'])}) "
                    f"| {p['cpu_ratio']:.2f}x | "
                    + (f"{p['before']['events_per_s']:,}: {p['before_ratio']:.2f}x (CPU {p['before_cpu_ratio']:.2f}x) |"
                       if "before" in p else " |"))
        floors.append(f"| {version} | {p['gunzip_mb_per_s']:.0f} | {p['parse_mb_per_s']:.1f} / {p['parse_cpu_mb_per_s']:.1f} | "
                      f"{p['each_mb_per_s']:.1f} / {p['each_cpu_mb_per_s']:.1f} | {a['mb_per_s']:.1f} / "
                      f"{p['addon_cpu_mb_per_s']:.1f} | {100 * p['vs_parse_floor']:.0f}% / "
                      f"**{100 * p['cpu_vs_parse_floor']:.0f}%** | {100 * p['vs_each_floor']:.0f}% / "
                      f"**{100 * p['cpu_vs_each_floor']:.0f}%** |")
    before = ("; **before** is the same build with issue 24's changes to the input taken out "
              "(`LARGE_E2E_BEFORE`), in the same rounds" if r.get("before_app") else "")
    return f"""
## Large CloudTrail objects end to end (issue 24)

`python3 scripts/bench.py --only large_e2e{' --quick' if r['rounds'] == 1 else ''}`, {r['date']}: {r['objects']} CloudTrail
objects of {r['records_per_object']:,} records ({r['uncompressed_mb']} MB uncompressed, {r['compressed_mb']} MB gzipped),
announced by moto's S3 notifications on a fresh queue, read by the BUILT input started as splunkd starts
it (`max_workers` {r['workers']}, the default; 0 ms added) and, as the baseline, by the straightforward input
(`naive_input.py`: receive, GetObject, read whole, `gzip.decompress`, `json.loads`, one splunklib `Event`
per record, delete); each under Python 3.9 and 3.13, {r['rounds']} interleaved round(s), median; time from
the first poll until every event is on stdout and the queue is empty. The floor runs on the same files
with the same Python (`floor.py`), nothing written: bare gunzip; gunzip + `json.loads` of the
document; gunzip + each record parsed in turn (`raw_decode` from one record to the next). CPU columns use the CPU seconds of the input process (the floor's own), steadier than wall time
when other work shares the machine{before}.{_load(r)}

| Python | add-on events/s | MB/s | straightforward events/s | MB/s | add-on vs straightforward (every round) | same, CPU time | before |
|---|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

The floor against the add-on, MB/s of uncompressed JSON, wall / per CPU second:

| Python | gunzip | gunzip + `json.loads` of the document | gunzip + each record parsed in turn | add-on | add-on vs `json.loads` | add-on vs each record parsed |
|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(floors)}

`json.loads` of a whole document holds it and all its parsed records at once (more memory to fault
in than the per-record parse, which drops each record as it goes: the parse the input cannot avoid).
The add-on runs several threads (zlib, SHA-256 and pipe writes release the GIL), the floor one, so
under load its wall-time share can exceed 100%; per CPU second is the comparison that carries over.
{_PROFILE}"""


def _load(r: dict) -> str:
    if not r.get("loadavg"):
        return ""
    start, end = (", ".join(f"{x:.1f}" for x in la) for la in r["loadavg"])
    return (f" Load average (1, 5, 15 min) {start} at the start, {end} at the end on 2 CPUs: other work"
            " shared the machine, and the single-threaded straightforward input loses most from it, so"
            " wall-time ratios move with the load (see every round); the CPU-time ratio moves less.")


_PROFILE = """
Where the time goes, per record and per uncompressed MB (`scripts/benchmarks/stages.py`, in process,
one core, CPU time, best of 3 interleaved rounds, 3 of these objects, 60,000 records, 83 MB, allocator
tuned as the input tunes it; measured by hand on 2026-12-03 09:05 UTC on the shared 2-core machine,
load average 6-8, so steps are good to about ±0.5 us):

| stages, cumulative | Python 3.9.18 us/record | Python 3.13.0 us/record |
|---|---:|---:|
| gunzip (`decompressed`, 1 MiB steps) | 1.18 (0.85 ms/MB) | 1.20 (0.86 ms/MB) |
| + SHA-256 of the inflated bytes (digest validation) | 1.88 | 1.93 |
| + UTF-8 decoding | 1.95 | 2.05 |
| gunzip, decode, split and parse records (`read_records`, no hash) | 7.82 | 8.21 |
| + `event_text` (compact-JSON check) | 8.46 | 8.62 |
| `ObjectEvents`: + hash, timestamps, positions | 9.87 | 9.88 |
| + `Delivery`: batches of 1,000, checkpoint lines (sink drops events) | 10.33 | 10.24 |
| + `XmlEventWriter` to a null stream | 11.33 (8.19 ms/MB) | 11.16 (8.06 ms/MB) |
| + checkpoint fsync per batch (wall time) | 11.72 | 11.45 |

So per record: inflating ~1.2 us, hashing ~0.7, decoding ~0.1, splitting and parsing ~6 (the C
parser most of it), the compact check ~0.5, timestamps and positions ~0.6, batching and checkpoint
~0.4, the XML writer ~1; about 11.5 us (8.3 ms per MB) in all on one core, against ~6 us per record
for gunzip + each record parsed in turn in `floor.py`.

End to end the input also reads the HTTP body (urllib3), writes the XML stream to the stdout pipe,
writes and fsyncs a checkpoint line per batch of 1,000 (fsync waits without the CPU: other workers
run meanwhile) and logs one line per object. Sampled with py-spy on the running input (`--gil`, 8
workers, 200,000 records) before issue 24's changes, the thread holding the GIL was in: the JSON
parser 36-43%, the XML writer 12-16% (joining, encoding, the one `bytes.translate` check per batch),
`event_text`'s compact check 6-9%, `JSONDecodeError` 4-5% (a record cut by an inflated step's end
was parsed twice, and the failed parse counted the lines of the whole buffer), timestamps 5-8%,
UTF-8 decoding 2-3%; hashing and inflating mostly outside it (zlib and hashlib release the GIL).
The SHA-256 for digest validation is one pass over the inflated bytes already in hand (no second
read): 0.7-0.8 us per record. And the process spent a sixth of its CPU in the kernel faulting in
pages: glibc mapped every megabyte buffer (inflated step, text buffer, batch text, its UTF-8 bytes)
afresh and unmapped it on free, about 800 minor faults per uncompressed MB.

What changed (issue 24), each exact: glibc's mmap/trim thresholds fixed at the input's start
(`malloc_tuning.py`: the buffers are reused, ~25 faults per MB; the price, a few MB kept for
reuse: VmHWM 72-76 instead of 70-71 MB for one 100 MB object, 111-113 instead of 105-106 MB for
four at once with 4 workers, and 160-164 instead of 150-154 MB in the runs above with 8, all
taken back by the smaller inflate steps below); `iso8601_to_text` remembers parsed
times (a 5-minute CloudTrail file has ~300 distinct eventTimes for 20,000 records); the text
cursor reads 64 KiB ahead before parsing, so no record under that size is parsed twice; the
compact-JSON check looks for `": ` only between a record's first and last space (the same answer,
~0.4 instead of ~2 us per record); inflate steps of 192 KiB instead of 1 MiB, so that with the
64 KiB look-ahead a decoder buffer holds at most 262,144 characters and issue 19's JSON value count
is answered by its length (about 10% less CPU per record in process; VmHWM 69-70 MB for one 100 MB
object and 93-94 MB for four at once with 4 workers, 121-123 MB with 8 workers on these ten objects). The XML writer was measured and left alone: its per-batch
check is already one `bytes.translate`, the only per-event work three memchr-fast `in` tests, and
a C-level rebuild (one `join` of `time + middle + data` per event, counting `& < >` in what the
translate leaves) came out 15-25% slower.
"""
