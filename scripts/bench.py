"""``make bench``: the add-on measured as a product, every figure next to a baseline from
the same run (the machine may be shared: variants run in interleaved rounds).

1. product: the BUILT input (``output/TA_sqs_s3_audit/bin/sqs_s3_audit.py``) started as
   splunkd starts it (XML on stdin, the splunkd stand-in for config and secrets), against
   moto server over HTTP through ``scripts/latency_proxy.py``:
   small objects at 0 and 50 ms per request for max_workers 1/4/8/16 next to a bare boto3
   GetObject loop with as many threads, a bare queue loop (receive, GetObject, delete) with
   as many threads and a straightforward input; the same small objects on the fast-SQS rig
   (``small_fast``: SQS served by ``scripts/sqs_standin.py``, S3 by moto, 4/8/16 workers at
   50 ms) beside both loops, with CPU ms per object of the input and the loops; cost against object
   size (1 KB .. 1 GB) and object count; one 1 GB object (events/s, MB/s, VmHWM) and four
   at once with 4 workers (VmHWM), bare gunzip of the same file beside it;
2. pipeline: decode-and-write on one core in process, against the straightforward
   implementation, gunzip + parse, bare gunzip; every event checked exact;
3. in-process parts, each against a baseline from the same run: shared_checkpoint (the
   collector with the DynamoDB checkpoint through moto vs the local journal, and DynamoDB
   requests per object), log_readers (the AWS text log readers vs split lines and the
   engine's text reader), xml_writer (the XML event writer vs the writer before the complete
   XML rule), hash_cost (CloudTrail events/s with and without the SHA-256 for digest
   validation).
4. fdr (issue 22, product): FDR-sized files (tens of thousands of sensor events each) as one
   CrowdStrike FDR message against the same files as S3 notifications read one at a time
   (the baseline) and with 4 workers (``scripts/benchmarks/fdr.py``).

    python3 scripts/bench.py [--quick] [--write-docs] [--only product|pipeline|small|small_fast|sizes|counts|large|
                                                              shared_checkpoint|log_readers|xml_writer|hash_cost|fdr|
                                                              large_e2e ...]
                             [--workers 4,8,16] [--delays 50] [--objects 150] [--rounds 2]  # small, small_fast
    python3 scripts/bench.py --docs-only                  # docs from bench-out/results.json

Parts live in ``scripts/benchmarks/``. Exit status 1 when a target fails.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchmarks.common import OUT, input_python, loadavg, machine, say
from benchmarks import report


PARTS = ("small", "small_fast", "sizes", "counts", "large", "fdr")
# In-process parts: a module in benchmarks/ with run(quick) -> figures and report(figures).
# large_e2e (issue 24) starts its own rig: the built input vs the straightforward input on
# ten 20,000-record CloudTrail objects under Python 3.9 and 3.13, and the gunzip/parse floor.
MODULE_PARTS = ("shared_checkpoint", "log_readers", "xml_writer", "hash_cost", "large_e2e")


def _product(results: dict, quick: bool, python: str, parts=PARTS, small: dict = None) -> None:
    from benchmarks import product
    from benchmarks.rig import Rig

    with Rig(python) as rig:
        if "small" in parts:
            given = {k: v for k, v in (small or {}).items() if v is not None}
            if quick:
                given = {"count": 100, "rounds": 1, **given}
            else:
                given = {"count": 300, "rounds": 3, "workers": (1, 4, 8, 16), **given}
            results["small"] = product.small_objects(rig, **given)
        if "small_fast" in parts:
            from benchmarks import small_fast

            given = {k: v for k, v in (small or {}).items() if v is not None}
            if quick:
                given = {"count": 300, "rounds": 1, **given}
            else:
                given = {"count": 300, "rounds": 3, **given}
            given.setdefault("delays", (50,))
            results["small_fast"] = small_fast.small_objects(rig, **given)
        if "sizes" in parts:
            results["sizes"] = product.sizes(rig, ladder=product.SIZE_LADDER[:5] if quick else product.SIZE_LADDER)
        if "counts" in parts:
            results["counts"] = product.counts(rig, ladder=(30, 120) if quick else (100, 300, 1000))
        if "large" in parts:
            size = 100_000_000 if quick else 1_000_000_000
            results["large"] = product.large(rig, product.records_for(size), four_budget=30 if quick else 90)
        if "fdr" in parts:
            from benchmarks import fdr

            results["fdr"] = fdr.run(rig, quick)


def _pipeline(results: dict, quick: bool) -> None:
    from benchmarks import pipeline

    results["pipeline"] = pipeline.throughput(2, 5000, 2) if quick else pipeline.throughput(3, 20000, 5)


def _ints(text: str) -> tuple:
    return tuple(int(x) for x in text.split(","))


def main() -> int:
    parser = argparse.ArgumentParser(description="the add-on measured as a product, against baselines")
    parser.add_argument("--quick", action="store_true", help="small data, a few minutes")
    parser.add_argument("--only", nargs="+", choices=("product", "pipeline") + PARTS + MODULE_PARTS,
                        help="run these parts only")
    parser.add_argument("--workers", type=_ints, help="small objects: these max_workers only, e.g. 4,8,16")
    parser.add_argument("--delays", type=_ints, help="small objects: these ms per request only, e.g. 50")
    parser.add_argument("--objects", type=int, help="small objects: this many (100 with --quick, else 300)")
    parser.add_argument("--rounds", type=int, help="small objects: this many rounds (1 with --quick, else 3)")
    parser.add_argument("--python", help="the input's interpreter: py39 (default), py313 or a path")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/performance.md and .svg")
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs from bench-out/results.json")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "results.json")
    if args.docs_only:
        with open(path) as handle:
            results = json.load(handle)
    else:
        began = time.perf_counter()
        python = input_python(args.python)
        version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True).stdout.strip()
        results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
                   "quick": args.quick, "input_python": version}
        say(f"bench: input under Python {version} ({python}), load average {results['machine']['loadavg_start']}")
        only = set(args.only or ("product", "pipeline") + MODULE_PARTS)
        parts = PARTS if "product" in only else tuple(p for p in PARTS if p in only)
        if parts:
            _product(results, args.quick, python, parts, {"count": args.objects, "rounds": args.rounds,
                                                           "workers": args.workers, "delays": args.delays})
        if "pipeline" in only:
            _pipeline(results, args.quick)
        for name in MODULE_PARTS:
            if name in only:
                say(f"bench: {name}")
                results[name] = importlib.import_module(f"benchmarks.{name}").run(args.quick)
        results["elapsed_seconds"] = time.perf_counter() - began
        results["machine"]["loadavg_end"] = loadavg()
        with open(path, "w") as handle:
            json.dump(results, handle, indent=2)
    report.print_table(results)
    for name in MODULE_PARTS + ("fdr",):
        if name in results:
            importlib.import_module(f"benchmarks.{name}").report(results[name])
    if args.write_docs or args.docs_only:
        from benchmarks import docs

        docs.write(results)
        say("\nwrote docs/performance.md and docs/performance.svg")
    say(f"\nresults: {path} ({results.get('elapsed_seconds', 0):.0f} s)")
    return 1 if any(status == "FAIL" for *_, status in report.checks(results)) else 0


if __name__ == "__main__":
    sys.exit(main())
