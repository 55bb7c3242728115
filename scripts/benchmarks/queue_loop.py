"""The second ceiling for the small-object runs: a bare SQS-and-S3 loop, N threads.

Where ``getobject_loop.py`` only reads the objects, this loop also pays the SQS work every
object costs the input, on the same moto: each thread receives up to 10 messages (1 s long
poll), parses each S3 notification (``Records[0].s3.bucket.name`` / ``object.key``, the key
URL-decoded), reads the object whole, then deletes the batch with one DeleteMessageBatch,
until ``expected`` objects are read. No events, no checkpoint, no visibility handling.

Run by the bench with the input's own Python and the built app's ``lib/``, against the same
latency proxy, on a queue the rig filled with the notifications the input gets:

    python3.9 queue_loop.py <app lib> <endpoint> <queue url> <threads> <expected objects> [<SQS endpoint>]

(SQS at ``<endpoint>`` too unless an SQS endpoint is given: the bench's SQS stand-in.)

Prints ``<objects> <seconds> <bytes> <receive s> <GetObject s> <delete s> <messages> <CPU s>``: the
time until the last batch was deleted, then the mean over the batches that brought messages
of one ReceiveMessage, one GetObject, one DeleteMessageBatch and the messages a receive brought
(the calls' own wall time, the proxy's delay in it), and the process's CPU time over the same
span (warm-up left out); exits 1 when the queue ran dry first (no message
for 30 s).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from urllib.parse import unquote_plus


def main() -> int:
    lib, endpoint, queue_url, threads, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    sqs_endpoint = sys.argv[6] if len(sys.argv) > 6 else endpoint
    sys.path.insert(0, lib)
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id=os.environ["BENCH_KEY_ID"],
                                    aws_secret_access_key=os.environ["BENCH_SECRET"], region_name="us-east-1")
    config = Config(max_pool_connections=max(threads, 10), retries={"mode": "standard"})
    s3 = session.client("s3", endpoint_url=endpoint, config=config)
    sqs = session.client("sqs", endpoint_url=sqs_endpoint, config=config)
    sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])  # connection and credentials warmed
    s3.list_buckets()
    lock = threading.Lock()
    done = [0, 0]  # objects, bytes
    idle_since = [None]
    finished = [None]
    cpu_used = [0.0]
    calls = []  # per batch: receive seconds, GetObject seconds per object, delete seconds, messages

    def work() -> None:
        while True:
            with lock:
                if done[0] >= expected:
                    return
            began = time.perf_counter()
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            received = time.perf_counter()
            if not got:
                with lock:
                    idle_since[0] = idle_since[0] or time.perf_counter()
                    if time.perf_counter() - idle_since[0] > 30:
                        return
                continue
            size = 0
            for message in got:
                s3_part = json.loads(message["Body"])["Records"][0]["s3"]
                bucket, key = s3_part["bucket"]["name"], unquote_plus(s3_part["object"]["key"])
                size += len(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            read = time.perf_counter()
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
            deleted = time.perf_counter()
            with lock:
                calls.append((received - began, (read - received) / len(got), deleted - read, len(got)))
                idle_since[0] = None
                done[0] += len(got)
                done[1] += size
                if done[0] >= expected and finished[0] is None:
                    finished[0] = time.perf_counter()  # not the other threads' last long poll
                    cpu_used[0] = time.process_time() - cpu

    workers = [threading.Thread(target=work) for _ in range(threads)]
    cpu = time.process_time()
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    n = max(1, len(calls))
    print(done[0], (finished[0] or time.perf_counter()) - start, done[1], sum(c[0] for c in calls) / n,
          sum(c[1] for c in calls) / n, sum(c[2] for c in calls) / n, sum(c[3] for c in calls) / n, cpu_used[0])
    return 0 if done[0] >= expected else 1


if __name__ == "__main__":
    sys.exit(main())
