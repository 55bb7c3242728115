"""The ceiling for the small-object runs: a bare boto3 GetObject loop, N threads.

Run by the bench with the input's own Python and the built app's ``lib/`` (the same
boto3 the input ships), against the same latency proxy:

    python3.9 getobject_loop.py <app lib> <endpoint> <bucket> <threads> <key>...

Prints ``<objects> <seconds> <bytes> <CPU seconds>``: every key read whole once, one client with a
connection pool as large as the thread count (as an input would size it).
"""

from __future__ import annotations

import os
import sys
import threading
import time


def main() -> int:
    lib, endpoint, bucket, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    keys = sys.argv[5:]
    sys.path.insert(0, lib)
    import boto3
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=os.environ["BENCH_KEY_ID"], aws_secret_access_key=os.environ["BENCH_SECRET"],
                          config=Config(max_pool_connections=max(threads, 10), retries={"mode": "standard"}))
    client.get_object(Bucket=bucket, Key=keys[0])["Body"].read()  # connection and credentials warmed
    pending = iter(keys)
    lock = threading.Lock()
    total = [0]

    def work() -> None:
        while True:
            with lock:
                key = next(pending, None)
            if key is None:
                return
            size = len(client.get_object(Bucket=bucket, Key=key)["Body"].read())
            with lock:
                total[0] += size

    workers = [threading.Thread(target=work) for _ in range(threads)]
    cpu = time.process_time()
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(len(keys), time.perf_counter() - start, total[0], time.process_time() - cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
