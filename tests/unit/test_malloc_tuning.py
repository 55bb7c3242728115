"""The input's allocator thresholds (``malloc_tuning``): a large object's megabyte buffers
are reused instead of being mapped, faulted in and unmapped again, under Splunk's Pythons.

Counts page faults, not time: the inflate-decode-write path over one CloudTrail object of
generated CloudTrail-shaped records (``scripts/sample_logs.py``) in a fresh interpreter, with and without ``tune()``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from modinput_runner import pythons

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "package", "bin")

SCRIPT = r'''
import io, json, resource, sys, tempfile
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
from sqs_s3_audit_splunk import malloc_tuning
tuned = malloc_tuning.tune() if sys.argv[3] == "tune" else None
from sqs_s3_audit_engine.delivery.batches import Delivery
from sqs_s3_audit_engine.delivery.checkpoint import Checkpoint
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.integrity import ContentHash
from sqs_s3_audit_splunk.event_writer import XmlEventWriter
with open(sys.argv[4], "rb") as handle:  # made by the test: this process starts as the input does
    body = handle.read()
key = "AWSLogs/123456789012/CloudTrail/us-east-1/2025/03/04/123456789012_CloudTrail_us-east-1_20250304T1630Z_t.json.gz"
class Null:
    def write(self, data): return len(data)
    def flush(self): pass
delivery = Delivery(XmlEventWriter(Null(), "sqs_s3_audit://t", index="main"), Checkpoint(tempfile.mkdtemp(), "t", fsync=False))
def once(n):
    delivery.write_object(ObjectEvents(io.BytesIO(body), bucket="b", key=key, content_hash=ContentHash()),
                          source="s3://b/" + key, oid=str(n))
once(0)  # warm: imports, first buffers
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for n in range(1, 4):
    once(n)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"tuned": tuned, "faults": faults, "mb": 3 * len(__import__("gzip").decompress(body)) / 1e6}))
'''


@pytest.fixture(scope="module")
def cloudtrail_file(tmp_path_factory):
    import sample_logs

    path = tmp_path_factory.mktemp("malloc") / "cloudtrail.json.gz"
    path.write_bytes(sample_logs.cloudtrail_object(sample_logs.cloudtrail_records(20000)))
    return str(path)


def _faults(python: str, mode: str, path: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "PYTHON"))}
    run = subprocess.run([python, "-c", SCRIPT, BIN, os.path.join(ROOT, "scripts"), mode, path], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
@pytest.mark.parametrize("python", sorted(pythons()), ids=sorted(pythons()))
def test_tuned_input_does_not_fault_its_buffers_in_again(python, cloudtrail_file):
    plain, tuned = _faults(pythons()[python], "plain", cloudtrail_file), _faults(pythons()[python], "tune", cloudtrail_file)
    assert tuned["tuned"] is True
    # Untuned glibc maps each megabyte buffer afresh: hundreds of faults per MB (about 800
    # measured); tuned, the buffers are reused: a few per MB at most.
    assert tuned["faults"] / tuned["mb"] < 50, tuned
    assert plain["faults"] >= tuned["faults"], (plain, tuned)


def test_tune_never_raises_and_says_whether_it_applied():
    from sqs_s3_audit_splunk import malloc_tuning

    assert malloc_tuning.tune() in (True, False)
