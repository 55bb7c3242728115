"""CrowdStrike FDR throughput (issue 22): the built input reading FDR-sized files.

FDR files are gzipped JSON Lines of tens of thousands of sensor events each
(scripts/fdr_samples.py builds them from the published FDR test lines). The same files are
read three ways, in interleaved rounds, each run on a fresh queue:

- ``fdr``: one FDR message listing every file (the input checks each file's size and MD5
  and reads the files of one message one after another, as the message is one unit of work);
- ``s3_serial`` (the baseline): the same files announced by one S3 event notification each,
  read with ``max_workers`` 1, so one file at a time as well: the cost of the FDR path
  (shape, size and MD5 checks, per-folder log type) shows as the ratio to it;
- ``s3_parallel``: the same notifications with ``max_workers`` 4, what splitting a batch
  over several messages would give on this machine.

    python3 scripts/bench.py --only fdr [--quick]

Wall time on a shared machine also waits on moto; the input's CPU time per run is the steadier
comparison and is reported beside it (``fdr_cpu_vs_s3_serial``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Dict

from .common import median, say
from .rig import Rig

import fdr_samples

PREFIX = "data/f0714ca5-3689-448d-b5cc-582a6f7a56b1"


def _fdr_message(bucket: str, objects: Dict[str, bytes]) -> str:
    files = [{"path": k, "size": len(b), "checksum": hashlib.md5(b).hexdigest()} for k, b in objects.items()]
    return json.dumps({"cid": fdr_samples.CID, "timestamp": fdr_samples.BASE_MS, "fileCount": len(files),
                       "totalSize": sum(f["size"] for f in files), "bucket": bucket, "pathPrefix": PREFIX,
                       "files": files})


def run(rig: Rig, quick: bool = False) -> dict:
    files, per_file, rounds = (2, 10_000, 1) if quick else (4, 30_000, 3)
    say(f"[product] CrowdStrike FDR: {files} files x {per_file:,} sensor events, one FDR message "
        "vs the same files as S3 notifications")
    objects = {f"{PREFIX}/part-{i:05d}.gz": fdr_samples.jsonl_gz(fdr_samples.sensor_records(per_file, seed=i))
               for i in range(files)}
    compressed = sum(len(b) for b in objects.values())
    bucket = "cs-prod-cannon-bench"
    s3_bodies = rig.upload(bucket, objects)  # also the baseline's notifications
    fdr_body = _fdr_message(bucket, objects)
    del objects
    expected = files * per_file
    variants = {"fdr": ([fdr_body], 4), "s3_serial": (s3_bodies, 1), "s3_parallel": (s3_bodies, 4)}
    runs: Dict[str, list] = {name: [] for name in variants}
    endpoint = rig.proxy(0)
    order = list(variants)
    rig.run(s3_bodies, endpoint, 4, expected, budget=900)  # warm-up: moto's first reads of the files
    for i in range(rounds):
        for name in order[i % len(order):] + order[:i % len(order)]:  # each variant first in some round
            bodies, workers = variants[name]
            r = rig.run(bodies, endpoint, workers, expected, budget=900)
            if not r["complete"] or r["events"] != expected:
                raise SystemExit(f"FDR bench {name}: {r['events']} of {expected} events ({r.get('stderr_tail', '')})")
            runs[name].append(r)
    out = {"files": files, "events_per_file": per_file, "compressed_mb": compressed / 1e6, "rounds": rounds}
    for name, rs in runs.items():
        out[name] = {"events_per_s": median([r["events_per_s"] for r in rs]),
                     "seconds": median([r["seconds"] for r in rs]), "vmhwm_mb": max(r["vmhwm_mb"] for r in rs),
                     "cpu_seconds": median([r["cpu_seconds"] for r in rs])}
    out["fdr_vs_s3_serial"] = out["fdr"]["events_per_s"] / out["s3_serial"]["events_per_s"]
    out["fdr_vs_s3_parallel"] = out["fdr"]["events_per_s"] / out["s3_parallel"]["events_per_s"]
    # CPU time of the input: the steadier figure on a shared machine (wall time waits on moto too)
    out["fdr_cpu_vs_s3_serial"] = out["fdr"]["cpu_seconds"] / out["s3_serial"]["cpu_seconds"]
    return out


def report(results: dict) -> None:
    say(f"\nCrowdStrike FDR, {results['files']} files x {results['events_per_file']:,} sensor events "
        f"({results['compressed_mb']:.1f} MB gzipped), median of {results['rounds']} round(s)")
    for name, label in (("fdr", "one FDR message"), ("s3_serial", "S3 notifications, 1 worker (baseline)"),
                        ("s3_parallel", "S3 notifications, 4 workers")):
        f = results[name]
        say(f"  {label:40} {f['events_per_s']:>9,.0f} events/s  {f['seconds']:6.1f} s  CPU {f['cpu_seconds']:5.1f} s"
            f"  VmHWM {f['vmhwm_mb']:4.0f} MB")
    say(f"  events/s: FDR / baseline {results['fdr_vs_s3_serial']:.2f}, FDR / 4 workers {results['fdr_vs_s3_parallel']:.2f};"
        f" CPU time: FDR / baseline {results['fdr_cpu_vs_s3_serial']:.2f}")
