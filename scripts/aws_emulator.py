"""A local AWS API emulator (``moto[server]`` on 127.0.0.1) and the vendor-side set-up.

Used by the demo, the benchmark and the tests: everything talks to the emulator over
HTTP with real boto3 calls, as the add-on talks to AWS.

    with MotoServer() as moto:
        aws = VendorSide(moto.endpoint)
        feed = aws.create_feed("audit-logs", "audit-queue")   # bucket, queue, DLQ, notifications
        aws.put_object(feed.bucket, "AWSLogs/.../x.json.gz", gzipped_bytes)
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import boto3
from botocore.config import Config

__all__ = ["MotoServer", "VendorSide", "Feed", "free_port", "ACCOUNT_ID", "REGION", "TEST_KEY_ID", "TEST_SECRET"]

ACCOUNT_ID = "123456789012"  # moto's default account
REGION = "us-east-1"
TEST_KEY_ID = "AKIAEXAMPLEUSER00001"
TEST_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """``moto_server`` as a subprocess on a free loopback port; stopped on exit."""

    def __init__(self, port: Optional[int] = None, log_path: Optional[str] = None):
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._proc: Optional[subprocess.Popen] = None

    def start(self) -> "MotoServer":
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL
        env = dict(os.environ)
        env.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log, stderr=log, env=env,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._proc.returncode}")
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto server did not start within 30 s")

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        req = urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    @contextlib.contextmanager
    def iam_enforced(self) -> Iterator[None]:
        """moto checks keys and identity policies inside the block (vendor-side calls too);
        it accepts any key again afterwards (its ``/moto-api/reset-auth``)."""
        self._set_auth("0")
        try:
            yield
        finally:
            self._set_auth("inf")

    def _set_auth(self, free_calls: str) -> None:
        request = urllib.request.Request(self.endpoint + "/moto-api/reset-auth", data=free_calls.encode(),
                                         method="POST", headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(request, timeout=10).read()

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Feed:
    """A vendor feed: bucket -> notification -> queue (with a dead-letter queue)."""

    bucket: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    topic_arn: str = ""
    role_arn: str = ""


class VendorSide:
    """Creates what a vendor or an AWS admin sets up, through the emulator's API."""

    def __init__(self, endpoint: str, region: str = REGION):
        self.endpoint = endpoint
        self.region = region
        kwargs = dict(
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=TEST_KEY_ID,
            aws_secret_access_key=TEST_SECRET,
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )
        self.s3 = boto3.client("s3", **kwargs)
        self.sqs = boto3.client("sqs", **kwargs)
        self.sns = boto3.client("sns", **kwargs)
        self.iam = boto3.client("iam", **kwargs)
        self.sts = boto3.client("sts", **kwargs)

    def create_queue(self, name: str, visibility_timeout: int = 30, with_dlq: bool = True, max_receives: int = 3) -> tuple:
        dlq_url = ""
        attrs: Dict[str, str] = {"VisibilityTimeout": str(visibility_timeout)}
        if with_dlq:
            dlq_url = self.sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
            dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)})
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn, dlq_url

    def create_feed(
        self,
        bucket: str,
        queue: str,
        via_sns: bool = False,
        raw_delivery: bool = False,
        notify: bool = True,
        visibility_timeout: int = 30,
        with_dlq: bool = True,
        max_receives: int = 3,
    ) -> Feed:
        """Bucket + queue (+ DLQ) + S3 event notifications to the queue (or through SNS)."""
        self.s3.create_bucket(Bucket=bucket)
        url, arn, dlq_url = self.create_queue(queue, visibility_timeout, with_dlq, max_receives)
        feed = Feed(bucket=bucket, queue_url=url, queue_arn=arn, dlq_url=dlq_url)
        if not notify:
            return feed
        if via_sns:
            topic = self.sns.create_topic(Name=queue + "-topic")["TopicArn"]
            attrs = {"RawMessageDelivery": "true"} if raw_delivery else {}
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attrs)
            config = {"TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]}
            feed.topic_arn = topic
        else:
            config = {"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
        self.s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
        return feed

    def create_role(self, name: str, external_id: str = "", max_session: int = 3600) -> str:
        """A role the customer's user assumes (moto does not enforce trust policies)."""
        condition = {"StringEquals": {"sts:ExternalId": external_id}} if external_id else {}
        trust = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": "sts:AssumeRole",
                **({"Condition": condition} if condition else {}),
            }],
        }
        arn = self.iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=max_session
        )["Role"]["Arn"]
        return arn

    def put_object(self, bucket: str, key: str, body: bytes, **kwargs) -> dict:
        return self.s3.put_object(Bucket=bucket, Key=key, Body=body, **kwargs)

    def send(self, queue_url: str, body: str) -> None:
        self.sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    def depth(self, queue_url: str) -> int:
        """Visible plus in-flight messages."""
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def drain(self, queue_url: str) -> List[dict]:
        """Receive and delete everything visible now (e.g. moto's s3:TestEvent)."""
        out = []
        while True:
            msgs = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not msgs:
                return out
            for msg in msgs:
                out.append(msg)
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=msg["ReceiptHandle"])
