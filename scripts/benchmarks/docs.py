"""docs/performance.md and docs/performance.svg, from one run's results.json."""

from __future__ import annotations

import os

from . import large_e2e
from .common import ROOT
from .report import TARGET_CEILING, checks, svg_chart


def _size(n: float) -> str:
    return f"{n / 1e3:,.0f} KB" if n < 1e6 else (f"{n / 1e6:,.0f} MB" if n < 1e9 else f"{n / 1e9:,.2f} GB")


def _small(s: dict) -> str:
    rows = []
    for d in s["delays"]:
        for w in s["workers"]:
            a, c = s["runs"][f"addon/{d}/{w}"], s["runs"][f"getobject/{d}/{w}"]
            q = s["runs"].get(f"queue/{d}/{w}")
            naive = s["runs"][f"naive/{d}/1"]["objects_per_s"] if w == 1 and f"naive/{d}/1" in s["runs"] else None
            rows.append(f"| {d} ms | {w} | **{a['objects_per_s']:,.1f}** | {c['objects_per_s']:,.1f} | "
                        f"{100 * a['vs_ceiling']:.0f}% | "
                        + (f"{q['objects_per_s']:,.1f} | {100 * a['vs_queue_loop']:.0f}% | " if q else "| | ")
                        + (f"{a['vs_one_worker']:.1f}x" if "vs_one_worker" in a else "") + " | "
                        f"{', '.join(map(str, a['every_round']))} | {a.get('cpu_ms_per_object', 0):.1f} ms | {a['vmhwm_mb']:.0f} MB | "
                        + (f"{naive:,.1f}" if naive is not None else "") + " |")
    return "\n".join(rows)


def _sizes(rows: list, big: dict) -> str:
    out = []
    for r in rows:
        a, n = r["addon"], r.get("naive")
        out.append(f"| {_size(r['size_bytes'])} | {r['objects']} | {r['records_per_object']:,} | "
                   f"{1e3 * a['seconds_per_object']:,.1f} ms | {a['mb_per_s']:,.1f} | {a['vmhwm_mb']:.0f} MB | "
                   + (f"{1e3 * n['seconds_per_object']:,.1f} ms | {n['mb_per_s']:,.1f} | {n['vmhwm_mb']:.0f} MB |"
                      if n else "not run (it would hold the whole object several times over) | | |"))
    if big:
        o = big["one"]
        out.append(f"| {_size(big['uncompressed_mb'] * 1e6)} | 1 | {big['records']:,} | {o['seconds'] * 1e3:,.0f} ms | "
                   f"{o['mb_per_s']:,.1f} | {o['vmhwm_mb']:.0f} MB | not run | | |")
    return "\n".join(out)


def shared_checkpoint_section(r: dict) -> str:
    return f"""
## 6. Shared checkpoint (DynamoDB) against the local journal

The collector in process (`tests/harness.make_collector`, `max_workers` {r['workers']}) on {r['objects']} CloudTrail
objects of {r['records_per_object']:,} records, against moto server over HTTP: once with the local journal, once
with `checkpoint_store = dynamodb` (a new table per round, partition key `pk`, TTL on `expires_at`,
in the same moto server). DynamoDB requests are counted in process where botocore sends them
(every HTTP attempt). Events/s from the collector's start until every record is written;
{r['rounds']} interleaved rounds, median.

| checkpoint | events/s | vs local | every round | DynamoDB requests |
|---|---:|---:|---|---:|
| local journal (baseline) | {r['local_events_per_s']:,} | 1.00 | {', '.join(f"{x:,}" for x in r['every_round']['local'])} | {r['local_dynamodb_requests']} |
| shared, DynamoDB | {r['shared_events_per_s']:,} | **{r['ratio']:.2f}** | {', '.join(f"{x:,}" for x in r['every_round']['shared'])} | {r['dynamodb_requests']:g} ({r['dynamodb_requests_per_object']:g} per object) |

The requests include the input's start and stop. Against real DynamoDB each request is a network
round trip made by the worker that holds the object, not a loopback call, so this ratio is the
emulator's, not a prediction for AWS; the requests per object carry over.
"""


def log_readers_section(rows: list) -> str:
    table = "\n".join(f"| {r['log_type']} | `{r['sample']}` | {r['split_lines_per_s']:,} | {r['text_lines_per_s']:,} | "
                      f"**{r['type_lines_per_s']:,}** | {r['ratio_vs_text']:.2f} | {r['ratio_vs_split']:.2f} |" for r in rows)
    return f"""
## 7. Text log readers against split lines

Each type's documented sample lines (`tests/fixtures/samples/`) repeated to {rows[0]['lines']:,} lines, read in
process three ways on the same bytes: a plain `split("\\n")` (the floor), the engine with
`log_type = text` (decode, no time: the engine's own split-lines baseline) and the engine with the
type's reader (decode, header handling, a time per line). Lines/s, best of {rows[0]['rounds']} interleaved rounds.

| type | sample | split lines/s | engine, text | engine, the type's reader | vs text | vs split |
|---|---|---:|---:|---:|---:|---:|
{table}
"""


def xml_writer_section(r: dict) -> str:
    table = "\n".join(f"| {case} | {f['data_mb']} | {f['previous_us_per_batch']:,} us | **{f['us_per_batch']:,} us** | "
                      f"{f['ratio']:.2f} | {f['mb_per_s']:,} |" for case, f in r.items())
    return f"""
## 8. XML event writer

`XmlEventWriter.write` on batches of 1,000 events against the writer before the complete XML 1.0
rule (which escaped only `& < >`), best batch of interleaved rounds, each on fresh string copies.
`one_hostile_record` holds one record with an ESC character, which takes the careful path.

| case | data MB per batch | previous writer | writer | ratio | MB/s |
|---|---:|---:|---:|---:|---:|
{table}
"""


def hash_cost_section(r: dict) -> str:
    return f"""
## 9. SHA-256 of CloudTrail files for digest validation

The same gzipped CloudTrail object ({r['records']:,} records, {r['uncompressed_mb']} MB uncompressed) through the
events and delivery stages into a sink that drops events, in process under Python {r['python']}, with and
without the SHA-256 of the uncompressed bytes; {r['rounds']} interleaved rounds, median.

| | events/s | vs without |
|---|---:|---:|
| without hashing (baseline) | {r['plain_events_per_s']:,} | 1.00 |
| with SHA-256 | {r['hashed_events_per_s']:,} | **{r['ratio']:.3f}** ({r['cost_percent']}% cost) |

Downloading and writing the XML stream come on top of both, so the share end to end is smaller.
"""


SECTIONS = (("shared_checkpoint", shared_checkpoint_section), ("log_readers", log_readers_section),
            ("xml_writer", xml_writer_section), ("hash_cost", hash_cost_section),
            ("large_e2e", large_e2e.docs_section))


def write(results: dict) -> None:
    with open(os.path.join(ROOT, "docs", "performance.svg"), "w") as handle:
        handle.write(svg_chart(results))
    mach, s, big, t = results["machine"], results.get("small"), results.get("large"), results.get("pipeline")
    rows, counts = results.get("sizes") or [], results.get("counts") or []
    check_rows = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in checks(results))
    parts = [f"""# Performance

Measured by `make bench` (`scripts/bench.py`, parts in `scripts/benchmarks/`) on {results['date']}
{'(`--quick`) ' if results.get('quick') else ''}in {results.get('elapsed_seconds', 0) / 60:.1f} minutes. The input
is the BUILT add-on (`output/TA_sqs_s3_audit/bin/sqs_s3_audit.py`) under Python {results.get('input_python')},
started as splunkd starts it: configuration XML on stdin, account and secret read from the splunkd
stand-in's REST API, events on stdout as the XML stream. AWS is moto server over HTTP on loopback;
every S3 and SQS call goes through `scripts/latency_proxy.py`, which holds each request 0 or 50 ms
(real S3 and SQS answer in tens of milliseconds) and forwards it over a kept-alive connection with
TCP_NODELAY, status, headers and first body bytes in one write (else each answer would wait for a
~40 ms delayed ACK).

| machine | |
|---|---|
| CPUs (`nproc`) | {mach['nproc']} |
| CPU model | {mach['cpu']} |
| bench Python / input Python | {mach['python']} / {results.get('input_python')} |
| OS | {mach['platform']} |
| load average (1, 5, 15 min) at start / end | {', '.join(map(str, mach.get('loadavg_start', [])))} / {', '.join(map(str, mach.get('loadavg_end', [])))} |

Every figure comes from that one run (`bench-out/results.json`); each is compared with a baseline
measured in the same run on the same data. The machine is shared (a load average above the CPU
count means other work ran beside the bench), so variants run in interleaved rounds and the
median round is kept; moto server, the proxy and the input share the same {mach['nproc']} CPUs, so
absolute figures understate real AWS, and the ratios are what carries over.

![make bench results](performance.svg)

| check | target | measured | status |
|---|---|---|---|
{check_rows}
"""]
    if s:
        parts.append(f"""
## 1. Many small objects over real latency

{s['objects']} CloudTrail objects of {s['records_per_object']} records ({s['object_kb_gzipped']:.1f} KB gzipped each),
each announced by the S3 notification moto sends, on a fresh queue per run; time from the input's first
poll (`action=started` in its log) until every event is on stdout and the queue is empty (every
message deleted). The ceiling is a bare boto3 GetObject loop (the same boto3, the same Python, the
same proxy) with as many threads as the input has workers: it only reads the objects, while the
input also receives, writes, checkpoints and deletes. The queue loop
(`scripts/benchmarks/queue_loop.py`, as many threads, on a fresh queue holding the same
notifications) adds the SQS work the input cannot skip: each thread receives up to 10 messages,
parses each notification, reads each object whole, deletes the batch with one `DeleteMessageBatch`;
it writes no events and keeps no checkpoint. The straightforward input is
`scripts/benchmarks/naive_input.py`: receive 10, then for each message GetObject, read whole,
`gzip.decompress`, `json.loads`, one splunklib `Event` per record, `DeleteMessage`.
{s['rounds']} interleaved round(s); the median is shown and every round listed.{(" This part was measured again on " + s['run_date'] + " on the final build (the rest of the page comes from the run above, whose build skipped the checkpoint's position line before an object's finish line).") if s.get('run_date') else ""}

| per request | max_workers | add-on objects/s | GetObject loop, as many threads | add-on vs loop (target {100 * TARGET_CEILING:.0f}%) | queue loop, as many threads | add-on vs queue loop | vs 1 worker | every round | input CPU per object | VmHWM | straightforward input |
|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|
{_small(s)}

Exactness on the same objects (one more run, 4 workers, 50 ms, the stream kept): {s['exactness']['events']:,}
events for {s['exactness']['records']:,} records, {len(s['exactness']['problems'])} problem(s): each record written
once, its `<data>` parsing back to the source record, its `<time>` the record's `eventTime`.

How the input keeps the round trips off the workers' path (`collector.py`, `fates.py`,
`visibility.py`, `receiving.py`): up to `3 x max_workers` messages are received and unfinished at
once, so received messages wait for every busy worker; one receiver thread per 8 workers asks for as
many messages as there are free places (a ReceiveMessage brings at most 10), never for only 1 or 2
while received messages still wait, and for a full 10 while half the workers' worth wait; a worker
that has flushed a message's events hands its delete to a fates thread and takes the next message at
once; deletes (and give-backs on stop) go out as `DeleteMessageBatch` /
`ChangeMessageVisibilityBatch` of up to 10 (a batch waits up to 0.25 s to fill), each entry's failure
handled on its own; the local checkpoint journal commits concurrent objects' lines with one write and
one fsync (group commit); the S3 pool holds a connection per worker.

Before this design (issue 15, same rig, one quick round of 60 objects): 5.3 / 16.5 / 39.8 objects/s
with 1 / 4 / 16 workers at 50 ms, 32% / 26% / 30% of the GetObject loop; one GetObject, one
DeleteMessage and, with one worker, one ReceiveMessage per object, one after the other.

What still holds the input below the 75% target with 4 or more workers on this rig: the emulator's
SQS, not the input. The add-on levels off near 50 objects/s whatever the worker count, while the
GetObject loop scales. Its CPU time per object is only ~5-9 ms (the column above), so neither the
GIL nor the input's own CPU is the limit. The GetObject loop only calls GetObject; every object the
input reads also costs its share of a ReceiveMessage of up to 10 and of a DeleteMessageBatch,
served by the same single moto process on the same CPUs, and moto's ReceiveMessage walks the
queue's whole message list, so it costs more the more messages the queue holds (part 3: the
straightforward input slows down with the queue depth exactly as the add-on does). The queue loop
(`scripts/benchmarks/queue_loop.py`) is the GetObject loop plus exactly that SQS work and nothing of
the input: each thread receives up to 10 messages (1 s long poll), parses each notification, reads
each object whole, deletes the batch with one DeleteMessageBatch. Measured on 2026-12-01 with
`python3 scripts/bench.py --only small --quick --delays 50 --workers 4,8,16 --objects 150 --rounds 2`,
run twice (four interleaved rounds; 150 of the small objects above, 50 ms per request, load average
0.5-2.4 while other work shared the 2 CPUs); the median of the four rounds, every round listed:

| max_workers = threads | add-on objects/s | GetObject loop | add-on vs GetObject loop | queue loop | add-on vs queue loop | queue loop vs GetObject loop |
|---:|---:|---:|---:|---:|---:|---:|
| 4 | **36.3** (34.9, 33.8, 37.6, 38.5) | 63.1 (59.7, 65.2, 61.9, 64.5) | 57% | 36.0 (37.9, 35.5, 36.5, 35.2) | **101%** (92-109%) | 57% |
| 8 | **54.4** (60.3, 55.1, 49.2, 53.6) | 118.1 (122.6, 115.9, 113.1, 120.5) | 46% | 48.1 (40.9, 50.1, 47.5, 48.6) | **113%** (104-147%) | 41% |
| 16 | **45.5** (37.7, 43.8, 47.1, 49.4) | 171.3 (133.5, 170.8, 188.7, 171.7) | 27% | 56.1 (58.7, 64.0, 51.9, 53.3) | **81%** (64-93%) | 33% |

Adding the receive and the batch delete, and nothing else, takes the bare loop down to 57% / 41% /
33% of the GetObject loop: as much as separates the add-on from it. The queue loop's own call times
(second run) show where: a ReceiveMessage of 10 took 0.28-0.33 s with 4 threads, 0.57-0.58 s with 8
and 1.19-1.30 s with 16 (mean per call, the proxy's 50 ms in it), growing with the receivers
waiting at once, while a GetObject took 65-71 / 89-95 / 143-148 ms and a DeleteMessageBatch 65-95
ms. So the add-on reaches 75% of the queue loop at every worker count (the median; at 16 workers
two of the four rounds were at 64% and 68%), and is above it with 4 and 8 workers: the queue loop
is no strict ceiling for the input, since each of its threads receives, reads its 10 objects one
after the other and only then receives again, while the input's receiver threads fetch the next
messages as its workers read. The gap to the GetObject loop on this rig is the emulator's SQS cost,
not the input; against real SQS, whose ReceiveMessage does not slow with the queue's depth or the
receivers at once, the GetObject loop stays the ceiling the target means, and this rig cannot tell
whether the input reaches 75% of it with 4 or more workers. One thing these runs leave open: with
16 workers the add-on moved fewer objects than with 8 in each of the four rounds (37.7-49.4
against 49.2-60.3 objects/s) while the queue loop with 16 threads moved more than with 8; with 16
workers the input keeps up to 48 messages in flight and runs four receiver threads, so more SQS
calls wait on moto at once, but that was not measured further. Per
CloudTrail object the input also writes three checkpoint lines, each fsynced under the checkpoint's
one lock (the position after the last batch; the object finished; its content hash for digest
validation); an in-process run with
fsync on and off (8 workers, 200 objects, two interleaved rounds: 46 and 66 objects/s with fsync,
66 and 62 without) did not single fsync out. One worker at 50 ms, where a round trip dominates,
reaches the target.
""")
    if results.get("small_fast"):
        from .small_fast import markdown as fast_markdown

        parts.append(fast_markdown(results["small_fast"], results["small_fast"].get("when", "")))
    if rows:
        parts.append(f"""
## 2. Cost against object size

Objects of each size (CloudTrail, records of ~1.4 KB), 0 ms added, `max_workers` 4 (the default) for
the add-on; the straightforward input beside it. Per object: the wall time of the run divided by the
objects; MB/s of uncompressed JSON.

| uncompressed size | objects | records each | add-on, per object | add-on MB/s | add-on VmHWM | straightforward, per object | straightforward MB/s | straightforward VmHWM |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{_sizes(rows, big)}

Small objects cost their round trips (and, below ~100 KB, a fixed few milliseconds of work per
object: receive, checkpoint, delete, log line); from ~1 MB on, the cost grows with the bytes and
the add-on's MB/s levels off, while its memory stays flat.
""")
    if counts:
        crow = "\n".join(f"| {c['objects']:,} | {c['seconds']:.1f} s | {c['objects_per_s']:,.1f} | {c['vmhwm_mb']:.0f} MB | "
                         + (f"{c['naive_objects_per_s']:,.1f} |" if "naive_objects_per_s" in c else "|")
                         for c in counts)
        parts.append(f"""
## 3. Cost against object count

Small objects as in part 1, 0 ms, `max_workers` 4, one queue holding them all. The input's memory
does not grow with the count (a finished object is one checkpoint line). The rate falls as the
queue holds more messages, and the emulator is why: moto's ReceiveMessage and DeleteMessage walk
the queue's whole message list, so each call costs more as the queue grows. The straightforward
input on the largest count shows it (last column; in a separate check on 1,000 objects the add-on
made 25.5 and the straightforward input 24.6 objects/s). Real SQS does not slow down with depth.

| objects | time | objects/s | VmHWM | straightforward input, objects/s |
|---:|---:|---:|---:|---:|
{crow}
""")
    if big:
        o, f4, g = big["one"], big["four"], big["gunzip"]
        parts.append(f"""
## 4. Large objects and memory

One CloudTrail object of {big['uncompressed_mb'] / 1e3:.2f} GB uncompressed ({big['records']:,} records,
{big['compressed_mb']:.0f} MB gzipped; generated once into `bench-out/`, uploaded to moto), read by the
built input with 0 ms added: {o['events']:,} events in {o['seconds']:.0f} s, **{o['events_per_s']:,.0f} events/s,
{o['mb_per_s']:.1f} MB/s** uncompressed, **VmHWM {o['vmhwm_mb']:.0f} MB** (target < 120 MB). Bare gunzip
(zlib, 1 MiB reads) of the same file runs at {g['mb_per_s']:,.0f} MB/s: the add-on is at
{100 * o['vs_gunzip']:.1f}% of it, the rest being JSON parsing, timestamps, XML escaping and writing in
Python (part 5).

Four such objects announced at once, `max_workers` 4, all four in flight together: **VmHWM
{f4['vmhwm_mb']:.0f} MB** (target < 200 MB), read from `/proc/<pid>/status` after {f4['seconds']:.0f} s
({f4['events']:,} events written{'' if f4['complete'] else f", stopped at the {f4['budget']:.0f} s time budget"}).

What one object holds in flight (`objects.py`, `decoders.py`, `delivery/batches.py`): a 256 KiB read
of the HTTP body; at most 1 MiB inflated per step; the decoder's text buffer (the unread rest of
one inflated step plus the record being parsed, at most 8 MiB for one oversize record); one batch
of at most 1,000 events or 4 MiB, and its XML text while it is written. Before issue 15 the read was
1 MiB and the inflate step 8 MiB: each step's bytes, its text and the decoder's concatenated buffer
were ~8 MB each, so every worker held ~40 MB: four 100 MB objects peaked at 239 MB, 110 MB after the
change (both `--quick` runs).
""")
    if t:
        sf = t["straightforward"]["events_per_s"]
        profile_rows = "\n".join(f"| `{r['function']}` | {r['calls']:,} | {100 * r['own_share']:.0f}% | "
                                 f"{100 * min(1.0, r['cumulative_share']):.0f}% |" for r in t.get("profile", [])[:8])
        parts.append(f"""
## 5. Decode and write on one core, in process

{t['records']:,} CloudTrail records ({t['uncompressed_mb']:.0f} MB uncompressed, {t['compressed_mb']:.1f} MB gzipped) in
{t['objects']} objects, object bytes to the XML stream in memory (no network), best of {t['repeats']} interleaved rounds.

| pipeline | events/s | MB/s | vs straightforward |
|---|---:|---:|---:|
| straightforward: whole object, `gzip.decompress`, `json.loads`, `json.dumps` and a splunklib `Event` per record | {sf:,.0f} | {t['straightforward']['mb_per_s']:.1f} | 1.0x |
| **add-on**: `ObjectEvents` + `Delivery` (streaming gunzip and decode, timestamps, `XmlEventWriter`, checkpoint) | {t['addon']['events_per_s']:,.0f} | {t['addon']['mb_per_s']:.1f} | **{t['ratio_vs_straightforward']:.1f}x** |
| add-on, checkpoint fsynced after every batch (the default) | {t['addon_fsync']['events_per_s']:,.0f} | {t['addon_fsync']['mb_per_s']:.1f} | {t['addon_fsync']['events_per_s'] / sf:.1f}x |
| gunzip + the C JSON scanner over every record, nothing written | {t['parse_floor']['events_per_s']:,.0f} | {t['parse_floor']['mb_per_s']:.1f} | {t['parse_floor']['events_per_s'] / sf:.1f}x |
| bare gunzip | {t['gunzip']['events_per_s']:,.0f} | {t['gunzip']['mb_per_s']:.1f} | {t['gunzip']['events_per_s'] / sf:.1f}x |

Exactness: {t['exactness_checked_events']:,} events parsed back, {len(t['exactness_problems'])} wrong. Where the time goes
(`cProfile`, own time; indicative):

| function | calls | own time | with callees |
|---|---:|---:|---:|
{profile_rows}
""")
    parts += [render(results[name]) for name, render in SECTIONS if results.get(name)]
    s16 = (f"{s['runs']['getobject/50/16']['objects_per_s']:,.0f}" if s and "getobject/50/16" in s["runs"] else "less")
    fast = ""
    if results.get("small_fast"):
        from .small_fast import advice

        fast = "\n" + advice(results["small_fast"]) + """ More workers help while
the input's CPU stays under a core; once `top` shows the input near 100% of one core, add a second
input on the same queue instead (its own process) with `checkpoint_store = dynamodb`: the shared
checkpoint keeps two inputs from writing an object twice on redelivery, which two local journals
cannot. `max_workers` goes up to 64 (192 messages received and unfinished at most).
"""
    parts.append(f"""
## Choosing max_workers

Workers hide round trips, not CPU: an input is one Python process, so its decoding and writing
top out near the large-object rate of part 4 whatever the worker count; for more CPU, run more
inputs on the queue (one process each). With 50 ms per call, 8 workers moved about 1.6 times as
many small objects as 4 in this run, and 16 no more than 8: on this rig the emulator's SQS calls
and the shared CPUs set the limit, while against real AWS the GetObject ceiling keeps rising with
threads (16 threads each waiting 50 ms per GetObject allow up to 320 objects/s; part 1's loop
reached {s16} here), so the gain continues past 8. Memory
grows by ~13 MB per worker busy with a large object (one 1 GB object 68 MB, four with 4 workers
108 MB; eight 1 GB objects with 8 workers 158 MB after 60 s, in a separate check of the same build)
and by under 1 MB per worker for small objects. 8 is the better default for many small objects over
a real network; 4 keeps memory lowest when objects are large.
{fast}""")
    parts.append("""
## Reproduce

```
make bench                                     # builds, then .venv/bin/python scripts/bench.py
python3 scripts/bench.py --quick               # smaller data (100 MB instead of 1 GB), a few minutes
python3 scripts/bench.py --only small large    # some parts: small sizes counts large pipeline
                                               # shared_checkpoint log_readers xml_writer hash_cost
python3 scripts/bench.py --python py313        # the input under Splunk 10's Python
python3 scripts/bench.py --write-docs          # also rewrite this page and performance.svg
python3 scripts/bench.py --docs-only           # rewrite them from bench-out/results.json
```

Exit status 1 when a target fails.
""")
    with open(os.path.join(ROOT, "docs", "performance.md"), "w") as handle:
        handle.write("".join(parts))
