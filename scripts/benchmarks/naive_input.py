"""The straightforward input, the baseline of the product runs: what a first modular input
for this job looks like. One thread: receive up to 10 messages, and for each: GetObject,
read the whole body, ``gzip.decompress``, ``json.loads``, one splunklib ``Event`` per
record through splunklib's ``EventWriter``, ``DeleteMessage``.

Run by the bench with the input's own Python and the built app's ``lib/`` (boto3 and
splunklib as the add-on ships them):

    python3.9 naive_input.py <app lib> <endpoint> <queue url>

Writes the XML event stream to stdout, ``started`` to stderr once polling; stops on SIGTERM.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sys
from calendar import timegm
from datetime import datetime
from urllib.parse import unquote_plus


def epoch(text: str) -> str:
    stamp = datetime.strptime(text.replace("Z", "")[:19], "%Y-%m-%dT%H:%M:%S")
    return str(timegm(stamp.timetuple()))


def main() -> int:
    lib, endpoint, queue_url = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, lib)
    import boto3
    from splunklib.modularinput import Event, EventWriter

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    creds = dict(region_name="us-east-1", aws_access_key_id=os.environ["BENCH_KEY_ID"],
                 aws_secret_access_key=os.environ["BENCH_SECRET"], endpoint_url=endpoint)
    sqs, s3 = boto3.client("sqs", **creds), boto3.client("s3", **creds)
    writer = EventWriter(output=sys.stdout, error=sys.stderr)
    sys.stderr.write("started\n")
    sys.stderr.flush()
    while not stop:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1).get("Messages", []):
            for record in json.loads(message["Body"]).get("Records", []):
                bucket, key = record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                for item in json.loads(gzip.decompress(body))["Records"]:
                    writer.write_event(Event(data=json.dumps(item), time=epoch(item["eventTime"]),
                                             source=f"s3://{bucket}/{key}", sourcetype="aws:cloudtrail",
                                             stanza="sqs_s3_audit://naive", done=True, unbroken=True))
                sys.stdout.flush()
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
