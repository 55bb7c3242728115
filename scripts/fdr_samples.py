"""CrowdStrike Falcon Data Replicator feeds for the demo and the bench.

Records are the published FDR test lines in tests/fixtures/samples/crowdstrike_fdr/ (Elastic's
CrowdStrike integration, see README-crowdstrike-fdr.md there), repeated with a fresh ``id``,
``timestamp`` and ``ContextTimeStamp`` each, so a file holds as many events as asked.
:func:`publish` uploads gzipped JSON Lines files into a bucket and sends the one SQS message
CrowdStrike sends for them (``bucket``, ``pathPrefix``, ``files[].path/size/checksum``: size
and MD5 of the stored, gzipped bytes).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import uuid
from typing import Dict, List

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures", "samples",
                       "crowdstrike_fdr")
CID = "ffffffff15754bcfb5f9152ec7ac90ac"
BASE_MS = 1625677488615


def _templates(name: str) -> List[dict]:
    with open(os.path.join(SAMPLES, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sensor_records(count: int, seed: int = 0) -> List[dict]:
    """``count`` sensor events shaped like the published ones, each with its own id and time."""
    rng = random.Random(seed)
    templates = _templates("data_sensor.jsonl")
    out = []
    for i in range(count):
        rec = dict(templates[i % len(templates)])
        ms = BASE_MS + seed * 10_000_000 + i * 7
        rec["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
        rec["timestamp"] = str(ms + 40)
        if "ContextTimeStamp" in rec:
            rec["ContextTimeStamp"] = f"{ms // 1000}.{ms % 1000:03d}"
        out.append(rec)
    return out


def inventory_records(kind: str) -> List[dict]:
    """The published inventory records of one kind (``aidmaster``, ``userinfo``, ``notmanaged``)."""
    return _templates(f"{kind}.jsonl")


def jsonl_gz(records: List[dict]) -> bytes:
    return gzip.compress("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode("utf-8"),
                         compresslevel=6)


def publish(aws, bucket: str, queue_url: str, files: Dict[str, bytes], prefix: str) -> str:
    """Upload ``files`` (key -> gzipped bytes) and send their FDR message; returns the body."""
    listed = []
    for key, body in files.items():
        aws.put_object(bucket, key, body)
        listed.append({"path": key, "size": len(body), "checksum": hashlib.md5(body).hexdigest()})
    message = json.dumps({"cid": CID, "timestamp": BASE_MS, "fileCount": len(listed),
                          "totalSize": sum(f["size"] for f in listed), "bucket": bucket, "pathPrefix": prefix,
                          "files": listed})
    aws.send(queue_url, message)
    return message
