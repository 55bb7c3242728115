"""``make demo``: the add-on's main job on an embedded default, start to finish, locally.

1. starts a local AWS emulator (moto server on 127.0.0.1) and a splunkd stand-in;
2. sets up what the vendors and the AWS admin would: an organisation CloudTrail bucket
   notifying a queue through SNS, Iru Endpoint hourly activity files, Thrive's OTLP audit
   bucket behind an access role with an external id, a CrowdStrike Falcon Data Replicator
   bucket and queue (one message listing sensor and inventory files), each queue with a
   dead-letter queue;
3. stores an account (key id + encrypted secret) and the Thrive role in the stand-in
   exactly as Splunk Web would (conf file + storage/passwords);
4. runs the BUILT modular input (output/TA_sqs_s3_audit/bin/sqs_s3_audit.py), one process
   per input, as splunkd does: configuration XML on stdin, events read from stdout;
5. prints events per sourcetype and index, a sample event of each, messages left, time.

Every process it starts is stopped on the way out. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fdr_samples
import sample_logs as samples
from aws_emulator import TEST_KEY_ID, TEST_SECRET, MotoServer, VendorSide
from modinput_runner import APP, SCRIPT, RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn

SESSION_KEY = "demo-session-key"
WORK = os.path.join(os.path.dirname(HERE), ".demo")


def say(text: str = "") -> None:
    print(text, flush=True)


def set_up_vendors(aws: VendorSide, files: int) -> dict:
    """Buckets, queues, notifications and objects; returns what each input should see."""
    expected: dict = {}

    # AWS CloudTrail: an organisation trail, S3 -> SNS -> SQS, gzipped JSON, plus a digest.
    trail = aws.create_feed("acme-org-cloudtrail", "acme-cloudtrail-notifications", via_sns=True)
    count = 0
    for i in range(files):
        records = samples.cloudtrail_records(500, seed=i)
        aws.put_object(trail.bucket, samples.cloudtrail_key(i, org="o-a1b2c3d4e5"), samples.cloudtrail_object(records))
        count += len(records)
    aws.put_object(trail.bucket, samples.cloudtrail_digest_key(0),
                   gzip.compress(json.dumps({"awsAccountId": samples.ACCOUNT, "digestStartTime": "2025-03-04T16:00:00Z",
                                             "digestEndTime": "2025-03-04T17:00:00Z"}).encode()))
    expected["cloudtrail"] = (trail, count)

    # Iru Endpoint: hourly JSON Lines, gzipped, written into the customer's bucket.
    iru = aws.create_feed("acme-iru-activity", "acme-iru-notifications")
    count = 0
    for hour in range(3):
        events = samples.iru_events(120, seed=hour)
        body = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events).encode()
        aws.put_object(iru.bucket, samples.iru_key(hour), gzip.compress(body))
        count += len(events)
    expected["iru"] = (iru, count)

    # Thrive: its own audit bucket (KMS-encrypted in real life), reached through an access role.
    thrive = aws.create_feed("thrive-audit-acme", "thrive-audit-acme-events")
    thrive.role_arn = aws.create_role("ThriveAuditLogAccess", external_id="acme-7c1d-thrive")
    count = 0
    for i in range(4):
        doc = samples.thrive_otlp(60, seed=10 + i)
        aws.put_object(thrive.bucket, samples.thrive_key(i), gzip.compress(json.dumps(doc).encode()),
                       ServerSideEncryption="aws:kms")
        count += 60
    expected["thrive"] = (thrive, count)

    # CrowdStrike FDR: CrowdStrike's bucket and queue; one message lists every file of a batch.
    fdr = aws.create_feed("cs-prod-cannon-acme", "cs-prod-cannon-acme-fdr", notify=False)
    prefix = "data/f0714ca5-3689-448d-b5cc-582a6f7a56b1"
    files = {f"{prefix}/part-0000{i}.gz": fdr_samples.jsonl_gz(fdr_samples.sensor_records(1000, seed=i))
             for i in range(2)}
    for kind in ("aidmaster", "userinfo"):
        files[f"fdrv2/{kind}/2021-07-07/part-00000.gz"] = fdr_samples.jsonl_gz(fdr_samples.inventory_records(kind))
    fdr_samples.publish(aws, fdr.bucket, fdr.queue_url, files, prefix)
    expected["crowdstrike"] = (fdr, 2000 + sum(len(fdr_samples.inventory_records(k)) for k in ("aidmaster", "userinfo")))
    return expected


def configure_splunk(standin: SplunkdStandIn, thrive_role: str) -> None:
    """What an admin saves in Splunk Web: one account, one role, log level."""
    standin.add_stanza("ta_sqs_s3_audit_account", "acme_splunk_reader", fields={"aws_access_key_id": TEST_KEY_ID},
                       encrypted={"aws_secret_access_key": TEST_SECRET})
    standin.add_stanza("ta_sqs_s3_audit_iam_role", "thrive_access",
                       fields={"role_arn": thrive_role, "session_duration": "3600"},
                       encrypted={"external_id": "acme-7c1d-thrive"})
    # the FDR client id and secret from the Falcon console, saved as an account of its own
    standin.add_stanza("ta_sqs_s3_audit_account", "crowdstrike_fdr", fields={"aws_access_key_id": TEST_KEY_ID},
                       encrypted={"aws_secret_access_key": TEST_SECRET})
    standin.add_stanza("ta_sqs_s3_audit_settings", "logging", fields={"loglevel": "INFO"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6, help="CloudTrail files to upload (500 records each)")
    parser.add_argument("--python", help="interpreter for the input (default: Splunk 10's python3.13, else 3.9)")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    if not os.path.exists(SCRIPT):
        say(f"The built app is missing ({APP}): run `make demo` (it builds first) or `make build`.")
        return 2
    found = pythons()
    python = args.python or found.get("py313") or found.get("py39") or sys.executable
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)

    started = time.time()
    procs = {}
    with MotoServer(log_path=os.path.join(WORK, "moto.log")) as moto, SplunkdStandIn(session_key=SESSION_KEY) as standin:
        say(f"AWS emulator     {moto.endpoint} (moto server)")
        say(f"splunkd stand-in {standin.base_url}")
        aws = VendorSide(moto.endpoint)
        expected = set_up_vendors(aws, args.files)
        configure_splunk(standin, expected["thrive"][0].role_arn)
        total_expected = sum(n for _, n in expected.values())
        say(f"Uploaded {total_expected} records: CloudTrail (via SNS), Iru Endpoint activity, Thrive OTLP audit logs, "
            "CrowdStrike FDR sensor events and inventory")
        say(f"Running the built input with {python}")
        say()

        inputs = {
            # the demo's digest is a bare stand-in, not a signed CloudTrail digest: skip it
            # (tests/e2e/test_built_digests.py shows validation with signed digests)
            "cloudtrail": {"account": "acme_splunk_reader", "index": "aws_cloudtrail", "cloudtrail_digests": "skip"},
            "iru": {"account": "acme_splunk_reader", "index": "endpoint_audit"},
            "thrive": {"account": "acme_splunk_reader", "iam_role": "thrive_access", "index": "saas_audit"},
            "crowdstrike": {"account": "crowdstrike_fdr", "index": "edr"},
        }
        try:
            for name, values in inputs.items():
                feed, _ = expected[name]
                params = dict(values, sqs_queue_url=feed.queue_url, aws_region="us-east-1",
                              s3_endpoint_url=moto.endpoint, sts_endpoint_url=moto.endpoint, interval="60")
                xml = input_xml(standin.base_url, SESSION_KEY, os.path.join(WORK, "checkpoints"), f"acme_{name}", params)
                procs[name] = RunningInput(python, xml, WORK)

            deadline = time.time() + args.timeout
            while time.time() < deadline:
                if all(aws.depth(expected[n][0].queue_url) == 0 for n in inputs):
                    break
                time.sleep(0.3)
            elapsed = time.time() - started
            for proc in procs.values():
                proc.terminate(15)
        finally:
            for proc in procs.values():
                if proc.proc.poll() is None:
                    proc.kill()

        report(procs, expected, aws, elapsed)
        left = sum(aws.depth(expected[n][0].queue_url) for n in inputs)
        dead = sum(aws.depth(expected[n][0].dlq_url) for n in inputs)
        # solnlib reaches splunkd through the requests shipped in lib/, as inside splunkd
        agents = sorted({r["user_agent"].split(" ")[0] for r in standin.request_log})
        say(f"splunkd was read by: {', '.join(agents)} (requests from lib/)")
    got = sum(len(parse_events(p.stdout)) for p in procs.values())
    ok = (got == total_expected and left == 0 and dead == 0 and all(p.proc.returncode == 0 for p in procs.values())
          and all(agent.startswith("solnlib/") for agent in agents))
    say()
    say("Demo " + ("succeeded: every record written exactly once." if ok else "FAILED: see above and .demo/"))
    return 0 if ok else 1


def report(procs: dict, expected: dict, aws: VendorSide, elapsed: float) -> None:
    per_type: Counter = Counter()
    samples_by_type: dict = {}
    say(f"{'input':<18} {'events':>7} {'expected':>8} {'queue left':>10} {'dead-letter':>11} {'exit':>4}")
    for name, proc in procs.items():
        events = parse_events(proc.stdout)
        feed, count = expected[name]
        for event in events:
            per_type[(event["sourcetype"], event["index"])] += 1
            samples_by_type.setdefault(event["sourcetype"], event)
        say(f"acme_{name:<13} {len(events):>7} {count:>8} {aws.depth(feed.queue_url):>10} "
            f"{aws.depth(feed.dlq_url):>11} {proc.proc.returncode:>4}")
    say()
    say(f"{'sourcetype':<36} {'index':<16} {'events':>7}")
    for (sourcetype, index), count in sorted(per_type.items()):
        say(f"{sourcetype:<36} {index:<16} {count:>7}")
    total = sum(per_type.values())
    say()
    say(f"{total} events in {elapsed:.1f} s ({total / max(elapsed, 0.001):,.0f} events/s, "
        "including start-up and long-poll waits)")
    for sourcetype, event in sorted(samples_by_type.items()):
        say()
        say(f"-- sample {sourcetype}  time={event['time']}  source={event['source']}")
        data = event["data"]
        say("   " + (data if len(data) <= 400 else data[:400] + " ..."))
    say()
    say(f"Input logs: {os.path.join(WORK, 'var', 'log', 'splunk')}/ta_sqs_s3_audit_acme_*.log")


if __name__ == "__main__":
    sys.exit(main())
