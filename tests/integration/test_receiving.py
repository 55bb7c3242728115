"""Receiving ahead of the workers, against real boto3 calls to the bench's SQS stand-in
(scripts/sqs_standin.py): receives ask for every free place, are not made for 1-2 places
while received messages still wait, and a long poll does not hold up a stop."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

import boto3
import pytest

from sqs_s3_audit_engine.aws import Queue
from sqs_s3_audit_engine.metrics import Metrics
from sqs_s3_audit_engine.receiving import Intake, places_for
from sqs_s3_audit_engine.retry import ErrorReporter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))

from sqs_standin import SqsStandIn

LOG = logging.getLogger("test_receiving")


class CountingQueue(Queue):
    """The real Queue, each ReceiveMessage's MaxNumberOfMessages recorded."""

    def __init__(self, client, url):
        super().__init__(client, url)
        self.asked = []

    def receive(self, max_messages, wait_seconds, visibility_timeout=None):
        self.asked.append(max_messages)
        return super().receive(max_messages, wait_seconds, visibility_timeout)


class Keeper:
    def track(self, receipt):
        pass


class Fates:
    def __init__(self):
        self.given_back = []

    def give_back(self, message):
        self.given_back.append(message)


@pytest.fixture()
def sqs():
    with SqsStandIn() as stand_in:
        client = boto3.client("sqs", endpoint_url=stand_in.endpoint, region_name="us-east-1",
                              aws_access_key_id="AKIDSTANDIN", aws_secret_access_key="standin-secret")
        url = client.create_queue(QueueName="intake", Attributes={"VisibilityTimeout": "120"})["QueueUrl"]
        yield client, url


def _fill(client, url, count):
    for start in range(0, count, 10):
        client.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(min(10, count - start))])


def _intake(queue, max_workers=2, wait_seconds=1):
    return Intake(queue, max_workers=max_workers, batch_size=10, wait_seconds=wait_seconds,
                  errors=ErrorReporter(LOG), metrics=Metrics(), log=LOG)


def _running(intake, stop):
    thread = threading.Thread(target=intake.loop, args=(stop,),
                              kwargs={"keeper": Keeper(), "fates": Fates(), "on_recovered": lambda: None}, daemon=True)
    thread.start()
    return thread


def _until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_receive_asks_for_every_free_place_and_none_is_made_for_one_or_two_while_work_waits(sqs):
    client, url = sqs
    _fill(client, url, 40)
    queue = CountingQueue(client, url)
    intake, stop = _intake(queue), threading.Event()
    thread = _running(intake, stop)
    try:
        assert _until(lambda: intake.work.qsize() == places_for(2))
        assert queue.asked == [places_for(2)]  # one receive for all six places
        freed = 0
        while len(queue.asked) == 1 and freed < places_for(2):  # workers finish one message at a time
            intake.work.get()
            intake.done()
            freed += 1
            time.sleep(0.4)
        assert len(queue.asked) == 2, "no receive once the workers had taken everything"
        assert queue.asked[1] >= 3 and queue.asked[1] == freed, (queue.asked, freed)
    finally:
        stop.set()
        thread.join(5)


def test_one_free_place_is_filled_at_once_when_no_received_message_waits(sqs):
    client, url = sqs
    queue = CountingQueue(client, url)
    intake, stop = _intake(queue, max_workers=1), threading.Event()
    for _ in range(places_for(1) - 1):
        intake.places.acquire()  # the workers hold every place but one, nothing waiting
    _fill(client, url, 5)
    thread = _running(intake, stop)
    try:
        assert _until(lambda: intake.work.qsize() == 1)
        assert queue.asked[0] == 1
    finally:
        stop.set()
        thread.join(5)


def test_a_long_poll_in_progress_ends_at_once_on_stop_and_what_it_brings_later_is_given_back(sqs):
    client, url = sqs
    queue = CountingQueue(client, url)
    intake, stop = _intake(queue, wait_seconds=3), threading.Event()
    thread = _running(intake, stop)
    assert _until(lambda: queue.asked)
    time.sleep(0.2)  # the long poll is waiting on the queue
    began = time.monotonic()
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - began < 0.5
    client.send_message(QueueUrl=url, MessageBody="late")  # the abandoned poll receives it...
    time.sleep(0.5)
    got = client.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    # ...and gives it back at once, not after the 120 s visibility timeout; nothing reached the workers
    assert got[0]["Body"] == "late" and got[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert intake.work.empty()
