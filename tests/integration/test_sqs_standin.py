"""The bench's SQS stand-in (scripts/sqs_standin.py) answers boto3's real SQS calls (AWS
JSON 1.0) the way SQS does for what the input and the bench loops use."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))

from sqs_standin import SqsStandIn


@pytest.fixture()
def sqs():
    with SqsStandIn() as stand_in:
        yield boto3.client("sqs", endpoint_url=stand_in.endpoint, region_name="us-east-1",
                           aws_access_key_id="AKIDSTANDIN", aws_secret_access_key="standin-secret",
                           config=Config(retries={"max_attempts": 1}))


def test_botocore_speaks_json_to_sqs_so_the_stand_in_does():
    model = boto3.session.Session().get_available_services()
    assert "sqs" in model
    meta = boto3.client("sqs", region_name="us-east-1").meta.service_model.metadata
    assert meta["protocol"] == "json" and meta["targetPrefix"] == "AmazonSQS"


def test_messages_come_back_with_their_attributes_and_are_gone_once_deleted(sqs):
    url = sqs.create_queue(QueueName="q1", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    assert sqs.get_queue_url(QueueName="q1")["QueueUrl"] == url
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"body {i}"} for i in range(10)])
    sqs.send_message(QueueUrl=url, MessageBody="body 10")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                              AttributeNames=["ApproximateReceiveCount", "SentTimestamp"])["Messages"]
    assert [m["Body"] for m in got] == [f"body {i}" for i in range(10)]
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" and int(m["Attributes"]["SentTimestamp"]) > 0
               for m in got)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("1", "10")
    answer = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got[:9])] + [
        {"Id": "bad", "ReceiptHandle": "not-a-receipt"}])
    assert len(answer["Successful"]) == 9
    assert answer["Failed"][0]["Id"] == "bad" and answer["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[9]["ReceiptHandle"])
    last = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in last] == ["body 10"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=last[0]["ReceiptHandle"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                   "ApproximateNumberOfMessagesNotVisible"])
    assert attrs["Attributes"] == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_a_message_not_deleted_shows_again_after_its_visibility_timeout(sqs):
    url = sqs.create_queue(QueueName="q2")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    time.sleep(1.1)
    second = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    # the older receipt handle no longer deletes it (SQS: the latest handle must be used)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["MessageId"] == first["MessageId"]


def test_visibility_changes_in_a_batch_keep_a_message_hidden_or_return_it(sqs):
    url = sqs.create_queue(QueueName="q3")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "a"}, {"Id": "b", "MessageBody": "b"}])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=1)["Messages"]
    answer = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "0", "ReceiptHandle": got[0]["ReceiptHandle"], "VisibilityTimeout": 60},
        {"Id": "1", "ReceiptHandle": got[1]["ReceiptHandle"], "VisibilityTimeout": 0}])
    assert {s["Id"] for s in answer["Successful"]} == {"0", "1"}
    time.sleep(1.2)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in again] == [got[1]["Body"]]


def test_a_long_poll_ends_when_a_message_arrives(sqs):
    url = sqs.create_queue(QueueName="q4")["QueueUrl"]
    threading.Timer(0.3, lambda: sqs.send_message(QueueUrl=url, MessageBody="late")).start()
    began = time.perf_counter()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert got[0]["Body"] == "late" and time.perf_counter() - began < 2
    began = time.perf_counter()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert 0.9 < time.perf_counter() - began < 3


def test_the_redrive_policy_moves_a_message_to_its_dead_letter_queue(sqs):
    dlq = sqs.create_queue(QueueName="q5-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="q5", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": arn, "maxReceiveCount": "2"})})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    for _ in range(2):
        got = sqs.receive_message(QueueUrl=url)["Messages"][0]
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=0)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"] == "poison"


def test_errors_are_the_sqs_codes_boto3_maps(sqs):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="missing")
    url = sqs.create_queue(QueueName="q6")["QueueUrl"]
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="nope", VisibilityTimeout=5)
    assert caught.value.response["Error"]["Code"] == "ReceiptHandleIsInvalid"
