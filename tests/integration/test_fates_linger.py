"""Fates wait a moment to fill a batch: deletes handed in one by one go out ten to a
DeleteMessageBatch, against real boto3 calls to the bench's SQS stand-in; stopping waits for nothing."""

from __future__ import annotations

import logging
import os
import sys
import time

import boto3
import pytest

from sqs_s3_audit_engine.aws import Queue
from sqs_s3_audit_engine.fates import Fates
from sqs_s3_audit_engine.metrics import Metrics

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))

from sqs_standin import SqsStandIn


class CountingQueue(Queue):
    def __init__(self, client, url):
        super().__init__(client, url)
        self.deletes = []

    def delete_batch(self, receipts):
        self.deletes.append(len(receipts))
        return super().delete_batch(receipts)


@pytest.fixture()
def queue():
    with SqsStandIn() as stand_in:
        client = boto3.client("sqs", endpoint_url=stand_in.endpoint, region_name="us-east-1",
                              aws_access_key_id="AKIDSTANDIN", aws_secret_access_key="standin-secret")
        url = client.create_queue(QueueName="fates")["QueueUrl"]
        for start in range(0, 30, 10):
            client.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"}
                                                             for i in range(10)])
        messages = []
        while len(messages) < 30:
            messages += client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        yield CountingQueue(client, url), client, messages


def _depth(client, url):
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_deletes_handed_in_one_by_one_go_out_ten_to_a_call(queue):
    sqs, client, messages = queue
    metrics = Metrics()
    fates = Fates(sqs, logging.getLogger("fates"), metrics, linger=0.5)
    for message in messages:
        fates.delete(message)
        time.sleep(0.01)  # a worker finishing a message every 10 ms
    deadline = time.monotonic() + 5
    while _depth(client, sqs.url) and time.monotonic() < deadline:
        time.sleep(0.05)
    fates.close()
    assert _depth(client, sqs.url) == 0
    assert sqs.deletes == [10, 10, 10]


def test_a_batch_not_full_goes_out_after_the_linger_and_at_once_on_close(queue):
    sqs, client, messages = queue
    fates = Fates(sqs, logging.getLogger("fates"), Metrics(), linger=0.3)
    began = time.monotonic()
    fates.delete(messages[0])
    while _depth(client, sqs.url) == 30 and time.monotonic() - began < 5:
        time.sleep(0.02)
    assert 0.25 <= time.monotonic() - began < 2 and sqs.deletes == [1]
    fates.delete(messages[1])
    began = time.monotonic()
    fates.close()
    assert time.monotonic() - began < 0.25 and sqs.deletes == [1, 1] and _depth(client, sqs.url) == 28
