"""What the shared checkpoint costs (issue 10): the collector with the local journal against
the same collector with ``checkpoint_store = dynamodb``, in process, in one run.

The collector is built by ``tests/harness.make_collector`` (2 workers) against moto server over
HTTP (S3, SQS and DynamoDB). DynamoDB requests are counted where botocore sends them
(``Endpoint._send`` of the ``dynamodb`` endpoints, every HTTP attempt, retries included), in
process, without a proxy hop that only the shared side would pay. Each round a new
bucket and queue get the same CloudTrail objects, announced by S3 notifications; the shared
variant gets a new table (partition key ``pk``, TTL on ``expires_at``). Events/s from the
collector's start until the sink holds every record; the variants alternate (which one goes
first too), median of rounds; shared as a ratio of local; DynamoDB requests per object.

    python3 scripts/bench.py --only shared_checkpoint [--quick]
"""

from __future__ import annotations

import tempfile
import threading
import time

from .common import median, say

import boto3
import sample_logs as samples
from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET, MotoServer, VendorSide
from botocore.endpoint import Endpoint
from harness import make_collector


class CountingSink:
    def __init__(self):
        self.events = 0
        self._lock = threading.Lock()

    def write(self, source, sourcetype, events):  # noqa: ARG002 - the sink interface, only the count matters
        with self._lock:
            self.events += len(events)


class RequestCounter:
    """Counts the HTTP requests botocore sends to DynamoDB in this process while installed."""

    def __init__(self):
        self.requests = 0
        self._lock = threading.Lock()
        self._real = Endpoint._send

    def __enter__(self) -> "RequestCounter":
        real, counter = self._real, self

        def send(endpoint, request):
            if endpoint._endpoint_prefix == "dynamodb":
                with counter._lock:
                    counter.requests += 1
            return real(endpoint, request)

        Endpoint._send = send
        return self

    def __exit__(self, *exc) -> None:
        Endpoint._send = self._real


def _create_table(ddb, name: str) -> None:
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})


def _one(moto, counter, vendor, ddb, bodies, records: int, shared: bool, tag: str, workers: int) -> dict:
    feed = vendor.create_feed(f"ckpt-{tag}", f"ckpt-{tag}")
    for i, body in enumerate(bodies):
        vendor.put_object(feed.bucket, samples.cloudtrail_key(i), body)
    params = {"max_workers": str(workers)}
    if shared:
        table = f"ckpt-{tag}"
        _create_table(ddb, table)
        params.update(checkpoint_store="dynamodb", checkpoint_table=table, dynamodb_endpoint_url=moto.endpoint)
    expected = records * len(bodies)
    sink = CountingSink()
    with tempfile.TemporaryDirectory() as home:
        collector = make_collector(moto.endpoint, feed.queue_url, home, sink, name=f"bench{tag}", **params)
        before = counter.requests  # after the table's creation: only the input's requests
        stop = threading.Event()
        thread = threading.Thread(target=collector.run, args=(stop, 3.0), daemon=True)
        began = time.perf_counter()
        thread.start()
        deadline = began + 300
        while sink.events < expected and time.perf_counter() < deadline:
            time.sleep(0.005)
        seconds = time.perf_counter() - began
        stop.set()
        thread.join(30)
        requests = counter.requests - before
    if sink.events != expected:
        raise RuntimeError(f"shared_checkpoint: {sink.events} of {expected} events (shared={shared}); "
                           f"log: {collector.log_lines[-10:]}")
    return {"events_per_s": expected / seconds, "seconds": seconds, "dynamodb_requests": requests}


def run(quick: bool = False) -> dict:
    objects, records, rounds = (4, 2000, 3) if quick else (12, 5000, 3)
    workers = 2
    bodies = [samples.cloudtrail_object(samples.cloudtrail_records(records, seed=100 + i)) for i in range(objects)]
    runs = {"local": [], "shared": []}
    with MotoServer() as moto, RequestCounter() as counter:
        vendor = VendorSide(moto.endpoint)
        ddb = boto3.client("dynamodb", endpoint_url=moto.endpoint, region_name=REGION,
                           aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET)
        _one(moto, counter, vendor, ddb, bodies[:1], records, True, "warm", workers)  # imports, moto's first table
        for n in range(rounds):
            for variant in (("local", "shared") if n % 2 == 0 else ("shared", "local")):
                runs[variant].append(_one(moto, counter, vendor, ddb, bodies, records, variant == "shared",
                                          f"{n}-{variant}-{time.time_ns() % 10**6}", workers))
    local = median([r["events_per_s"] for r in runs["local"]])
    shared = median([r["events_per_s"] for r in runs["shared"]])
    requests = median([r["dynamodb_requests"] for r in runs["shared"]])
    return {"objects": objects, "records_per_object": records, "workers": workers, "rounds": rounds,
            "local_events_per_s": round(local), "shared_events_per_s": round(shared),
            "ratio": round(shared / local, 3), "dynamodb_requests": requests,
            "dynamodb_requests_per_object": round(requests / objects, 1),
            "local_dynamodb_requests": max(r["dynamodb_requests"] for r in runs["local"]),
            "every_round": {k: [round(r["events_per_s"]) for r in v] for k, v in runs.items()}}


def report(r: dict) -> None:
    say(f"\nshared checkpoint (DynamoDB via moto) vs local journal: {r['objects']} CloudTrail objects x "
        f"{r['records_per_object']:,} records, {r['workers']} workers, {r['rounds']} interleaved rounds, median")
    say(f"  local  {r['local_events_per_s']:>9,} events/s  rounds {r['every_round']['local']}")
    say(f"  shared {r['shared_events_per_s']:>9,} events/s  rounds {r['every_round']['shared']}  ratio {r['ratio']:.2f}")
    say(f"  DynamoDB requests {r['dynamodb_requests']:g} ({r['dynamodb_requests_per_object']:g} per object); "
        f"local run: {r['local_dynamodb_requests']}")
