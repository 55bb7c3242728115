"""Helpers of the reliability tests (tests/e2e/test_reliability_*.py), which run the BUILT input
(output/TA_sqs_s3_audit/bin/sqs_s3_audit.py) as splunkd does, against moto server and the
splunkd stand-in: the stand-in seeded with an account, a role and a proxy, the input's
parameters, CloudTrail objects uploaded, the eventIDs and log lines the input wrote, and checks
that no secret leaked.
"""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Dict, List
from urllib.parse import quote

import sample_logs as samples
from aws_emulator import TEST_SECRET
from harness import seed_splunkd
from modinput_runner import RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn

PYTHONS = pythons()
PY313 = PYTHONS.get("py313") or next(iter(PYTHONS.values()), "")
PY39 = PYTHONS.get("py39") or PY313
SESSION_KEY = "reliability-splunkd-session-key-51f0"
EXTERNAL_ID = "reliability-external-id-7c2e"
PROXY_USER = "splunk-hf"
PROXY_PASSWORD = "pr0xy:pa55@w/rd%xyz"  # characters that must be URL-quoted in a proxy URL
MOTO_TOKEN_PREFIX = "FQoGZXIvYXdzE"


# -- set-up helpers ----------------------------------------------------------------
def start_splunkd(vendor, loglevel: str = "INFO", proxy_port: int = 0) -> SplunkdStandIn:
    """The stand-in with account ``acct``, role ``reader`` (external id, 900 s sessions), the
    log level and, when given, the ``proxy`` stanza with an encrypted password."""
    role_arn = vendor.create_role(f"Reliability{time.time_ns() % 10**9}", EXTERNAL_ID)
    server = seed_splunkd(SplunkdStandIn(session_key=SESSION_KEY), role_arn, EXTERNAL_ID, loglevel, "900")
    server.role_arn = role_arn
    if proxy_port:
        server.add_stanza("ta_sqs_s3_audit_settings", "proxy",
                          fields={"proxy_enabled": "1", "proxy_type": "http", "proxy_url": "127.0.0.1",
                                  "proxy_port": str(proxy_port), "proxy_username": PROXY_USER},
                          encrypted={"proxy_password": PROXY_PASSWORD})
    server.start()
    return server


def params(moto, feed, **extra) -> Dict[str, str]:
    values = {"account": "acct", "iam_role": "reader", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto.endpoint, "sts_endpoint_url": moto.endpoint, "index": "main"}
    values.update({k: str(v) for k, v in extra.items()})
    return values


def start_input(python, splunkd, home, name, values) -> RunningInput:
    os.makedirs(home, exist_ok=True)
    return RunningInput(python, input_xml(splunkd.base_url, SESSION_KEY, os.path.join(home, "ckpt"), name, values),
                        str(home))


def upload_cloudtrail(vendor, feed, objects: int, per_object: int, seed: int = 0) -> List[str]:
    ids = []
    for i in range(objects):
        records = samples.cloudtrail_records(per_object, seed=seed + i)
        vendor.put_object(feed.bucket, samples.cloudtrail_key(seed + i), samples.cloudtrail_object(records))
        ids += [r["eventID"] for r in records]
    return ids


def event_ids(*streams: bytes) -> List[str]:
    return [json.loads(e["data"])["eventID"] for stream in streams for e in parse_events(stream)
            if e["sourcetype"] == "aws:cloudtrail"]


def log_text(home, name: str) -> str:
    path = os.path.join(str(home), "var", "log", "splunk", f"ta_sqs_s3_audit_{name}.log")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def log_lines(log: str, level: str, **fields) -> List[str]:
    """Lines at ``level`` carrying every ``field=value`` given."""
    return [line for line in log.splitlines() if f" {level} " in line
            and all(f"{k}={v}" in line for k, v in fields.items())]


def secret_forms(secret: str) -> List[str]:
    """A secret as it would leak: raw, URL-quoted (as in a proxy URL), base64 of user:secret."""
    forms = {secret, quote(secret, safe="")}
    forms.add(base64.b64encode(f"{PROXY_USER}:{secret}".encode()).decode())
    return sorted(forms)


def assert_no_secrets(texts: Dict[str, str], extra=()) -> None:
    secrets = [TEST_SECRET, EXTERNAL_ID, SESSION_KEY, PROXY_PASSWORD, MOTO_TOKEN_PREFIX, *extra]
    for where, text in texts.items():
        for secret in secrets:
            for form in secret_forms(secret):
                assert form not in text, f"a secret ({secret[:4]}...) appears in {where}"


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0
