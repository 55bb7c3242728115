"""Fleet-wide exactly-once: two and three BUILT inputs on one queue sharing a DynamoDB checkpoint.

Each forwarder is the built input run as splunkd runs it, with its own home and
``checkpoint_dir``, on Python 3.9 and 3.13 side by side; they share one moto DynamoDB table
(``checkpoint_store = dynamodb``). All AWS traffic goes through the fault proxy
(``tests/fault_proxy.py``, no random faults): it trickles the big object's GetObject answer
so that "mid-object" lasts long enough to act on, and throttles or drops DynamoDB calls
on demand. Records are compared by CloudTrail ``eventID``.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections import Counter
from typing import Dict, List

import boto3
import pytest

import sample_logs as samples
from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET
from fault_proxy import FaultProxy
from harness import seed_splunkd
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build`")

PYTHONS = pythons()
PY313 = PYTHONS.get("py313") or next(iter(PYTHONS.values()), "")
PY39 = PYTHONS.get("py39") or PY313
SESSION_KEY = "fleet-session-key-93ad"
WINDOW = 1000  # BATCH_RECORDS: the checkpoint window
RECORDS = 20000
READ_SECONDS = 12  # how long the trickled GetObject of the big object takes


class Fleet:
    """Queue, table, proxy and splunkd stand-in shared by the forwarders of one test."""

    def __init__(self, moto, vendor, tmp_path, proxy: FaultProxy, label: str, visibility: int = 10,
                 account=(TEST_KEY_ID, TEST_SECRET)):
        self.moto, self.vendor, self.tmp, self.proxy = moto, vendor, tmp_path, proxy
        tag = f"{label}-{os.getpid()}-{time.time_ns() % 10**6}"
        self.feed = vendor.create_feed(f"fleet-{tag}", f"fleet-{tag}", visibility_timeout=visibility,
                                       max_receives=50, notify=False)
        self.table = f"fleet-ckpt-{tag}"
        self.ddb = boto3.client("dynamodb", endpoint_url=moto.endpoint, region_name=REGION,
                                aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET)
        self.create_table()
        self.splunkd = SplunkdStandIn(session_key=SESSION_KEY)
        seed_splunkd(self.splunkd, loglevel="DEBUG")
        self.splunkd.add_stanza("ta_sqs_s3_audit_account", "acct", fields={"aws_access_key_id": account[0]},
                                encrypted={"aws_secret_access_key": account[1]})
        self.splunkd.add_stanza("ta_sqs_s3_audit_settings", "proxy",
                                fields={"proxy_enabled": "1", "proxy_type": "http", "proxy_url": "127.0.0.1",
                                        "proxy_port": str(proxy.port)})
        self.splunkd.start()
        self.records: Dict[str, List[dict]] = {}

    def create_table(self) -> None:
        self.ddb.create_table(TableName=self.table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        self.ddb.update_time_to_live(TableName=self.table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": "expires_at"})

    def upload(self, index: int, count: int = RECORDS, trickle: bool = True, announce: int = 1) -> str:
        """One CloudTrail object, announced by ``announce`` identical S3 notifications."""
        records = samples.cloudtrail_records(count, seed=500 + index)
        key = samples.cloudtrail_key(500 + index)
        body = samples.cloudtrail_object(records)
        etag = self.vendor.put_object(self.feed.bucket, key, body)["ETag"].strip('"')
        self.records[key] = records
        if trickle:
            self.proxy.throttle(key.split("/")[-1], len(body) / READ_SECONDS)
        note = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
                             "eventTime": "2025-03-04T16:30:14.143Z", "eventName": "ObjectCreated:Put",
                             "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": self.feed.bucket},
                                    "object": {"key": key, "size": len(body), "eTag": etag}}}]}
        for _ in range(announce):
            self.vendor.send(self.feed.queue_url, json.dumps(note))
        return key

    def start(self, name: str, python: str, **extra) -> RunningInput:
        home = self.tmp / name
        os.makedirs(home, exist_ok=True)
        values = {"account": "acct", "sqs_queue_url": self.feed.queue_url, "aws_region": REGION,
                  "s3_endpoint_url": self.moto.endpoint, "sts_endpoint_url": self.moto.endpoint, "index": "main",
                  "max_workers": "1", "sqs_batch_size": "1", "checkpoint_store": "dynamodb",
                  "checkpoint_table": self.table, "dynamodb_endpoint_url": self.moto.endpoint}
        values.update(extra)
        run = RunningInput(python, input_xml(self.splunkd.base_url, SESSION_KEY, str(home / "ckpt"), name, values),
                           str(home))
        run.name, run.home = name, home
        return run

    def expected(self) -> List[str]:
        return [r["eventID"] for records in self.records.values() for r in records]

    def stop(self) -> None:
        self.splunkd.stop()


def ids(run: RunningInput) -> List[str]:
    return [json.loads(e["data"])["eventID"] for e in parse_events(run.stdout, closed=False)
            if e.get("sourcetype") == "aws:cloudtrail"]


def log_of(run: RunningInput) -> str:
    path = run.home / "var" / "log" / "splunk" / f"ta_sqs_s3_audit_{run.name}.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def errors(run: RunningInput, **fields) -> List[str]:
    return [line for line in log_of(run).splitlines() if " ERROR " in line
            and all(f"{k}={v}" in line for k, v in fields.items())]


def wait(predicate, timeout: float, what: str, *runs: RunningInput) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {r.name}: {log_of(r)[-3000:]}\n{r.stderr[-1500:]}" for r in runs)
    raise AssertionError(f"not {what} within {timeout} s\n{tails}")


def started(run: RunningInput) -> bool:
    return "action=started" in log_of(run)


@pytest.fixture
def fleet_parts(moto_server, vendor, tmp_path):
    runs: List[RunningInput] = []
    with FaultProxy(rate=0.0, every_kind=False) as proxy:
        made: List[Fleet] = []

        def make(label, **kwargs) -> Fleet:
            made.append(Fleet(moto_server, vendor, tmp_path, proxy, label, **kwargs))
            return made[-1]

        yield make, proxy, runs
        for run in runs:
            if run.proc.poll() is None:
                run.kill()
        for fleet in made:
            fleet.stop()


ORDERS = [pytest.param(PY39, PY313, id="py39-then-py313"), pytest.param(PY313, PY39, id="py313-then-py39")]


@pytest.mark.parametrize("first, second", ORDERS)
def test_sigterm_of_one_forwarder_mid_object_lets_a_peer_finish_it_with_no_duplicate(first, second, fleet_parts):
    make, _, runs = fleet_parts
    fleet = make("term")
    a, b = fleet.start("a", first), fleet.start("b", second)
    runs += [a, b]
    wait(lambda: started(a) and started(b), 60, "started", a, b)
    fleet.upload(1)
    wait(lambda: a.event_count() + b.event_count() >= 3000, 90, "mid-object", a, b)
    holder, peer = (a, b) if a.event_count() else (b, a)
    took = holder.terminate(10)
    assert took < 10 and holder.proc.returncode == 0, holder.stderr[-2000:]
    wait(lambda: fleet.vendor.depth(fleet.feed.queue_url) == 0, 120, "drained", peer)
    peer.terminate(10)
    got = Counter(ids(holder) + ids(peer))
    assert set(got) == set(fleet.expected()) and max(got.values()) == 1  # each record once
    assert ids(holder) and ids(peer)  # both wrote part of it
    assert "action=lease_taken" in log_of(peer) or "resumed_at=" in log_of(peer)


@pytest.mark.parametrize("first, second", ORDERS)
def test_sigkill_mid_object_repeats_only_what_the_killed_forwarder_wrote_after_its_last_checkpoint(
        first, second, fleet_parts):
    make, _, runs = fleet_parts
    fleet = make("kill")
    a, b = fleet.start("a", first), fleet.start("b", second)
    runs += [a, b]
    wait(lambda: started(a) and started(b), 60, "started", a, b)
    key = fleet.upload(2)
    wait(lambda: a.event_count() + b.event_count() >= 4500, 90, "mid-object", a, b)
    holder, peer = (a, b) if a.event_count() else (b, a)
    holder.kill()
    wait(lambda: fleet.vendor.depth(fleet.feed.queue_url) == 0, 150, "drained", peer)
    peer.terminate(10)
    killed, rest = ids(holder), ids(peer)
    order = [r["eventID"] for r in fleet.records[key]]
    resumed_at = order.index(rest[0])
    assert resumed_at % WINDOW == 0 and resumed_at <= len(killed)  # at the killed one's last stored position
    assert rest == order[resumed_at:] and killed == order[:len(killed)]
    duplicates = len(killed) - resumed_at
    assert 0 <= duplicates <= WINDOW, duplicates  # only the last checkpoint window
    assert set(killed + rest) == set(order)


def test_a_lost_delete_brings_the_message_back_to_another_forwarder_which_writes_nothing(fleet_parts):
    make, proxy, runs = fleet_parts
    fleet = make("lost")
    a = fleet.start("a", PY39)
    runs.append(a)
    wait(lambda: started(a), 60, "started", a)
    # Every delete (DeleteMessageBatch and all its retries, the SDK's and the input's own) is
    # lost until the input gives up on it; the message then comes back after its visibility
    # timeout. The burst ends only once A is gone, so A cannot delete it on a later receive.
    proxy.burst("drop", 100_000, "AmazonSQS.DeleteMessage")
    fleet.upload(3, count=6000, trickle=False)
    wait(lambda: "action=message_fate_failed" in log_of(a), 300, "delete failed", a)
    a.terminate(10)
    proxy.end_bursts()
    b = fleet.start("b", PY313)
    runs.append(b)
    wait(lambda: fleet.vendor.depth(fleet.feed.queue_url) == 0, 120, "drained", b)
    b.terminate(10)
    assert len(ids(a)) == 6000 and ids(b) == []
    assert "action=object_already_done" in log_of(b)


def test_one_object_announced_twice_to_three_forwarders_at_once_is_written_once(fleet_parts):
    make, _, runs = fleet_parts
    fleet = make("dup")
    forwarders = [fleet.start("a", PY39), fleet.start("b", PY313), fleet.start("c", PY39)]
    runs += forwarders
    wait(lambda: all(started(f) for f in forwarders), 90, "started", *forwarders)
    fleet.upload(4, announce=2)
    wait(lambda: fleet.vendor.depth(fleet.feed.queue_url) == 0, 150, "drained", *forwarders)
    for forwarder in forwarders:
        forwarder.terminate(10)
    got = Counter(i for f in forwarders for i in ids(f))
    assert set(got) == set(fleet.expected()) and max(got.values()) == 1
    waited = [f for f in forwarders if "action=object_leased_elsewhere" in log_of(f)]
    assert waited, "the second message was not received while the first was being written"


def _moto_auth(moto, count: str) -> None:
    request = urllib.request.Request(moto.endpoint + "/moto-api/reset-auth", data=count.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).read()


FAULT_CASES = [pytest.param("throttled", PY39, id="throttled-py39"),
               pytest.param("unreachable", PY313, id="unreachable-py313"),
               pytest.param("missing", PY39, id="deleted-mid-run-py39"),
               pytest.param("denied", PY313, id="permission-removed-py313")]


@pytest.mark.parametrize("cause, python", FAULT_CASES)
def test_a_table_fault_mid_object_loses_nothing_deletes_nothing_logs_one_error_and_recovers_by_itself(
        cause, python, fleet_parts, moto_server, vendor):
    make, proxy, runs = fleet_parts
    admin = None
    if cause == "denied":  # the input's own IAM user; moto enforces IAM from the start of the run
        user = f"fleet-{time.time_ns() % 10**8}"
        vendor.iam.create_user(UserName=user)
        allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "sqs:*", "s3:*", "dynamodb:*", "sts:GetCallerIdentity"]}]}
        vendor.iam.put_user_policy(UserName=user, PolicyName="input", PolicyDocument=json.dumps(allow))
        key = vendor.iam.create_access_key(UserName=user)["AccessKey"]
        vendor.iam.create_user(UserName=user + "-admin")
        vendor.iam.put_user_policy(UserName=user + "-admin", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        admin_key = vendor.iam.create_access_key(UserName=user + "-admin")["AccessKey"]
        admin_kwargs = dict(endpoint_url=moto_server.endpoint, region_name=REGION,
                            aws_access_key_id=admin_key["AccessKeyId"],
                            aws_secret_access_key=admin_key["SecretAccessKey"])
        admin = boto3.client("iam", **admin_kwargs)
        fleet = make(cause, account=(key["AccessKeyId"], key["SecretAccessKey"]))
        admin_sqs = boto3.client("sqs", **admin_kwargs)

        def depth() -> int:
            attrs = admin_sqs.get_queue_attributes(QueueUrl=fleet.feed.queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
    else:
        fleet = make(cause)

        def depth() -> int:
            return fleet.vendor.depth(fleet.feed.queue_url)
    a = fleet.start("a", python)
    runs.append(a)
    try:
        wait(lambda: started(a), 60, "started", a)
        fleet.upload(5)
        if cause == "denied":
            _moto_auth(moto_server, "0")
        wait(lambda: a.event_count() >= 3000, 90, "mid-object", a)
        if cause == "throttled":  # until the test ends it
            proxy.burst("ddb_throttle", 10**9, "DynamoDB_20120810")
        elif cause == "unreachable":
            proxy.burst("drop", 10**9, "DynamoDB_20120810")
        elif cause == "missing":
            fleet.ddb.delete_table(TableName=fleet.table)
        else:
            deny = {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Resource": "*", "Action": ["sqs:*", "s3:*", "dynamodb:*",
                                                                 "sts:GetCallerIdentity"]},
                {"Effect": "Deny", "Resource": "*", "Action": ["dynamodb:UpdateItem"]}]}
            admin.put_user_policy(UserName=user, PolicyName="input", PolicyDocument=json.dumps(deny))
        wait(lambda: errors(a, action="checkpoint_unavailable"), 90, "outage logged", a)
        time.sleep(1)  # the batch whose position could not be stored may still be in the pipe
        written = a.event_count()
        time.sleep(4)
        assert a.event_count() == written  # nothing written whose progress cannot be stored
        assert depth() == 1  # and the message not deleted
        if cause in ("throttled", "unreachable"):
            proxy.end_bursts()
        elif cause == "missing":
            fleet.create_table()
        elif cause == "denied":
            admin.put_user_policy(UserName=user, PolicyName="input", PolicyDocument=json.dumps(allow))
        wait(lambda: depth() == 0, 150, "recovered and drained", a)
    finally:
        if cause == "denied":
            _moto_auth(moto_server, "inf")
    a.terminate(10)
    got = Counter(ids(a))
    assert set(got) == set(fleet.expected()) and max(got.values()) == 1  # nothing lost, nothing twice
    outage = errors(a, action="checkpoint_unavailable")
    assert len(outage) == 1, outage  # one ERROR per cause
    assert f"table={fleet.table}" in outage[0] and f"region={REGION}" in outage[0] and f"cause={cause}" in outage[0]
    if cause == "denied":
        assert "call=dynamodb:UpdateItem" in outage[0] and "grant dynamodb:UpdateItem on arn:aws:dynamodb:" in outage[0]
    assert "action=checkpoint_recovered" in log_of(a)
