"""CloudTrail digest validation by the BUILT input under Python 3.9 and 3.13: moto for S3, SQS
and STS, the ListPublicKeys stand-in (tests/cloudtrail_standin.py) through
AWS_ENDPOINT_URL_CLOUDTRAIL, digests in the documented format signed in the test.

Cases (issue 12): all files present and intact; a file altered after delivery; a file never
announced; a digest arriving before its log files (grace period, then resolved); a forged
signature; a broken chain; the first digest of a trail; several accounts and regions of an
organisation trail; ``skip``; ``ListPublicKeys`` denied.
"""

from __future__ import annotations

import calendar
import glob
import gzip
import json
import os
import time

import pytest

from cloudtrail_standin import CloudTrailStandin
from digest_factory import Trail
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from test_built_input import SESSION_KEY, params, scan_for_secrets, splunkd  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build` (make test does)")

PYTHONS = pythons()
DIGEST = "aws:cloudtrail:digest"


@pytest.fixture(scope="module")
def cloudtrail():
    server = CloudTrailStandin().start()
    yield server
    server.stop()


def notify(vendor, feed, *files):
    """CloudTrail's own SNS notification shape, sent straight to the queue."""
    vendor.send(feed.queue_url, json.dumps({"s3Bucket": feed.bucket, "s3ObjectKey": [f.key for f in files]}))


def put(vendor, *files):
    for f in files:
        kwargs = {"Metadata": f.metadata} if hasattr(f, "metadata") else {}
        vendor.put_object(f.bucket, f.key, f.body, **kwargs)


def digests_of(proc):
    return {e["source"]: json.loads(e["data"]) for e in parse_events(proc.stdout, closed=False) if e["sourcetype"] == DIGEST}


def log_text(tmp_path, name):
    found = glob.glob(str(tmp_path / f"var/log/splunk/ta_sqs_s3_audit_{name}.log"))
    return open(found[0], encoding="utf-8").read() if found else ""


def start(python, splunkd, moto_server, feed, cloudtrail, tmp_path, name, **extra):  # noqa: F811 - splunkd and cloudtrail are fixtures imported from test_built_input
    xml = input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), name, params(moto_server, feed, **extra))
    return RunningInput(PYTHONS[python], xml, str(tmp_path), extra_env={"AWS_ENDPOINT_URL_CLOUDTRAIL": cloudtrail.endpoint})


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_built_input_validates_digests(python, moto_server, vendor, splunkd, cloudtrail, tmp_path):  # noqa: F811 - splunkd and cloudtrail are fixtures imported from test_built_input
    feed = vendor.create_feed(f"dg-{python}-{os.getpid()}", f"dg-{python}-{os.getpid()}", notify=False)
    org = [Trail(cloudtrail, feed.bucket, account=a, region=r, name="org-trail", org="o-exampleorgid")
           for a in ("111122223333", "444455556666") for r in ("us-east-1", "eu-west-1")]
    intact = []
    for trail in org:  # all present and intact, first digest of each trail
        files = [trail.log_file(), trail.log_file()]
        put(vendor, *files)
        notify(vendor, feed, *files)
        intact.append(trail.digest(files))
    single = Trail(cloudtrail, feed.bucket, account="777788889999", region="us-west-2", name="audit")
    good, altered, never, late = (single.log_file() for _ in range(4))
    altered.body = gzip.compress(altered.raw.replace(b"GetBucketAcl", b"PutBucketAcl"))  # changed after delivery
    put(vendor, good, altered, late)  # `never` is never delivered nor announced
    notify(vendor, feed, good, altered)
    mixed = single.digest([good, altered, never, late])
    forged = single.digest([], forge=True)
    put(vendor, *intact, mixed, forged)
    proc = start(python, splunkd, moto_server, feed, cloudtrail, tmp_path, "dg", cloudtrail_digest_grace="15")
    proc.wait_for(lambda: vendor.depth(feed.queue_url) == 0 and proc.event_count() >= 10, 90)
    notify(vendor, feed, *intact, mixed, forged)
    proc.wait_for(lambda: "action=digest_pending" in log_text(tmp_path, "dg"), 60)
    notify(vendor, feed, late)  # the digest came before this file: resolved within the grace period
    proc.wait_for(lambda: len(digests_of(proc)) >= 6, 90)
    # the next hour: linked digests, one with a chain that does not match
    nexts = [trail.digest([]) for trail in org]
    single.previous = mixed  # a forged digest never enters the chain (issue 19): link to the genuine one
    broken = single.digest([])
    fields = json.loads(broken.raw)
    fields["previousDigestSignature"] = "ab" * 256
    put(vendor, *nexts)
    vendor.put_object(feed.bucket, broken.key, gzip.compress(json.dumps(fields).encode()), Metadata=broken.metadata)
    notify(vendor, feed, *nexts, broken)
    proc.wait_for(lambda: len(digests_of(proc)) >= 11 and vendor.depth(feed.queue_url) == 0, 90)
    assert proc.terminate(10) < 10 and proc.proc.returncode == 0, proc.stderr
    events = parse_events(proc.stdout)
    got = {e["source"]: json.loads(e["data"]) for e in events if e["sourcetype"] == DIGEST}
    for digest in intact:
        event = got[digest.source]
        assert (event["signature"], event["chain"], event["result"], event["files_verified"]) == ("valid", "first", "pass", 2)
        assert event["organization"] == "o-exampleorgid"
    assert {(got[d.source]["account"], got[d.source]["region"]) for d in intact} == {(t.account, t.region) for t in org}
    for digest in nexts:
        assert got[digest.source]["chain"] == "ok"
    event = got[mixed.source]
    assert event["modified"] == [f"s3://{feed.bucket}/{altered.key}"]
    assert event["missing"] == [f"s3://{feed.bucket}/{never.key}"]
    assert event["files_verified"] == 2 and event["result"] == "fail", "good and the late file"
    assert got[forged.source]["signature"] == "invalid"
    assert got[broken.source]["chain"] == "broken"
    [ev] = [e for e in events if e["source"] == mixed.source]
    assert ev["index"] == "aws_audit" and ev["time"] == str(calendar.timegm(time.strptime(event["digest_end"], "%Y-%m-%dT%H:%M:%SZ")))
    assert len([e for e in events if e["sourcetype"] == "aws:cloudtrail"]) == 11, "8 org files, good, altered, late"
    scan_for_secrets(log_text(tmp_path, "dg"), proc.stderr, proc.stdout.decode())


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_built_input_without_list_public_keys_and_with_skip(python, moto_server, vendor, splunkd, cloudtrail, tmp_path):  # noqa: F811 - splunkd and cloudtrail are fixtures imported from test_built_input
    feed = vendor.create_feed(f"dd-{python}-{os.getpid()}", f"dd-{python}-{os.getpid()}", notify=False)
    trail = Trail(cloudtrail, feed.bucket, region="sa-east-1")
    f = trail.log_file()
    digest = trail.digest([f])
    put(vendor, f, digest)
    notify(vendor, feed, f)
    notify(vendor, feed, digest)
    cloudtrail.deny = True
    try:
        proc = start(python, splunkd, moto_server, feed, cloudtrail, tmp_path, "dd", cloudtrail_digest_grace="30")
        proc.wait_for(lambda: len(digests_of(proc)) >= 1, 90)
        proc.terminate(10)
    finally:
        cloudtrail.deny = False
    [event] = digests_of(proc).values()
    assert event["signature"] == "not_checked" and event["missing_permission"] == "cloudtrail:ListPublicKeys"
    assert event["files_verified"] == 1 and event["result"] == "warn"
    skipped = trail.digest([])
    put(vendor, skipped)
    notify(vendor, feed, skipped)
    proc = start(python, splunkd, moto_server, feed, cloudtrail, tmp_path, "dd", cloudtrail_digests="skip")
    proc.wait_for(lambda: vendor.depth(feed.queue_url) == 0 and "action=digest_skipped" in log_text(tmp_path, "dd"), 60)
    proc.terminate(10)
    assert parse_events(proc.stdout) == []
