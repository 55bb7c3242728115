"""Batched message fates keep every guarantee: through moto server with real boto3 calls.

A message is deleted only after its events are flushed; an entry SQS refuses in a
``DeleteMessageBatch`` or ``ChangeMessageVisibilityBatch`` is handled on its own (logged,
its message left in the queue to come back, never counted as deleted); a failed call is
retried until it goes through; the other entries of the batch are not held back.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import boto3
from botocore.config import Config

import sample_logs as samples
from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET
from fault_proxy import FaultProxy
from harness import CollectingSink, ListHandler, make_collector
from sqs_s3_audit_engine.aws import Queue
from sqs_s3_audit_engine.fates import Fates
from sqs_s3_audit_engine.metrics import Metrics
from sqs_s3_audit_engine.visibility import VisibilityKeeper


def _queue(vendor, name: str, visibility: int, proxy_port: int = 0) -> Queue:
    url, _arn, _dlq = vendor.create_queue(name, visibility_timeout=visibility, with_dlq=False)
    config = Config(retries={"mode": "standard", "max_attempts": 6},
                    proxies={"http": f"http://127.0.0.1:{proxy_port}"} if proxy_port else None)
    client = boto3.client("sqs", endpoint_url=vendor.endpoint, region_name=REGION, aws_access_key_id=TEST_KEY_ID,
                          aws_secret_access_key=TEST_SECRET, config=config)
    return Queue(client, url)


def _received(vendor, queue: Queue, count: int) -> list:
    for i in range(0, count, 10):
        vendor.sqs.send_message_batch(QueueUrl=queue.url, Entries=[
            {"Id": str(j), "MessageBody": f"message {i + j}"} for j in range(min(10, count - i))])
    got: list = []
    while len(got) < count:
        got += queue.receive(10, 1)
    return got


def _log(name: str):
    log = logging.getLogger(f"test.fates.{name}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    handler = ListHandler()
    log.addHandler(handler)
    return log, handler.lines


def _calls(queue: Queue, operation: str) -> list:
    """Entries per call of ``operation``, seen through botocore's documented event hooks."""
    seen: list = []
    queue.client.meta.events.register(f"provide-client-params.sqs.{operation}",
                                      lambda params, **_: seen.append(len(params["Entries"])))
    return seen


def test_deletes_go_out_in_batches_of_up_to_ten(vendor):
    queue = _queue(vendor, f"fates-batches-{os.getpid()}", 30)
    messages = _received(vendor, queue, 25)
    calls = _calls(queue, "DeleteMessageBatch")
    log, lines = _log("batches")
    metrics = Metrics()
    done = []
    fates = Fates(queue, log, metrics, on_done=done.append)
    for message in messages:
        fates.delete(message)
    fates.close(30)
    assert sum(calls) == 25 and max(calls) <= 10 and len(calls) <= 5, calls
    assert metrics.total["messages_deleted"] == 25
    assert sorted(done) == sorted(m["ReceiptHandle"] for m in messages)  # each message once
    assert vendor.depth(queue.url) == 0


def test_a_refused_entry_is_logged_and_its_message_comes_back_while_the_others_are_deleted(vendor):
    queue = _queue(vendor, f"fates-refused-{os.getpid()}", 2)
    messages = _received(vendor, queue, 6)
    victim = dict(messages[2], ReceiptHandle=messages[2]["ReceiptHandle"] + "-expired")
    log, lines = _log("refused")
    metrics = Metrics()
    fates = Fates(queue, log, metrics)
    for message in messages[:2] + [victim] + messages[3:]:
        fates.delete(message)
    fates.close(30)
    assert metrics.total["messages_deleted"] == 5  # the refused entry is not counted as deleted
    failed = [line for line in lines if "action=message_fate_failed" in line]
    assert len(failed) == 1 and "ReceiptHandleIsInvalid" in failed[0] and victim["MessageId"] in failed[0]
    assert failed[0].startswith("ERROR")
    time.sleep(2.5)  # its visibility timeout: the message was not lost, it comes back
    again = queue.receive(10, 2)
    assert [m["MessageId"] for m in again] == [victim["MessageId"]]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_a_batch_call_failing_past_the_sdk_retries_is_retried_until_every_message_is_deleted(vendor):
    with FaultProxy(rate=0.0, every_kind=False) as proxy:
        queue = _queue(vendor, f"fates-retried-{os.getpid()}", 60, proxy.port)
        messages = _received(vendor, queue, 12)
        proxy.burst("sqs_500", 7, "AmazonSQS.DeleteMessageBatch")  # 6 SDK attempts, then once more
        log, lines = _log("retried")
        metrics = Metrics()
        fates = Fates(queue, log, metrics, backoff=0.2)
        for message in messages:
            fates.delete(message)
        deadline = time.time() + 60
        while fates.pending and time.time() < deadline:
            time.sleep(0.1)
        fates.close(10)
    assert proxy.counts["sqs_500"] == 7
    assert any("action=message_fate_retry" in line for line in lines)
    assert not any("action=message_fate_failed" in line for line in lines)
    assert metrics.total["messages_deleted"] == 12
    assert vendor.depth(queue.url) == 0


def test_a_give_back_batch_makes_the_messages_visible_at_once(vendor):
    queue = _queue(vendor, f"fates-returned-{os.getpid()}", 60)
    messages = _received(vendor, queue, 4)
    log, _lines = _log("returned")
    metrics = Metrics()
    calls = _calls(queue, "ChangeMessageVisibilityBatch")
    fates = Fates(queue, log, metrics)
    for message in messages:
        fates.give_back(message)
    fates.close(30)
    assert metrics.total["messages_returned"] == 4 and sum(calls) == 4
    assert sorted(m["MessageId"] for m in queue.receive(10, 1)) == sorted(m["MessageId"] for m in messages)


def test_the_keeper_extends_messages_in_one_batch_and_drops_a_receipt_sqs_refuses(vendor):
    queue = _queue(vendor, f"keeper-batch-{os.getpid()}", 2)
    messages = _received(vendor, queue, 3)
    calls = _calls(queue, "ChangeMessageVisibilityBatch")
    log, lines = _log("keeper")
    keeper = VisibilityKeeper(queue, 2, log)
    for message in messages:
        keeper.track(message["ReceiptHandle"])
    keeper.track("not-a-receipt-handle")
    keeper.start()
    try:
        time.sleep(4.5)  # past two visibility timeouts
        assert queue.receive(10, 0) == []  # every real message is still hidden
    finally:
        keeper.halt()
    assert calls and max(calls) == 4  # the four due together went out in one call
    refused = [line for line in lines if "action=visibility_extend_failed" in line]
    assert len(refused) == 1 and "ReceiptHandleIsInvalid" in refused[0]  # then no longer asked for


class _HeldSink(CollectingSink):
    """Blocks every write for one source until released."""

    def __init__(self, held: str):
        super().__init__()
        self.held, self.release, self.reached = held, threading.Event(), threading.Event()

    def write(self, source, sourcetype, events):
        if source.endswith(self.held):
            self.reached.set()
            self.release.wait(60)
        super().write(source, sourcetype, events)


def test_a_message_is_deleted_only_after_its_events_are_flushed_and_others_are_not_held_back(
        moto_server, vendor, tmp_path):
    feed = vendor.create_feed(f"fates-order-{os.getpid()}", f"fates-order-{os.getpid()}", visibility_timeout=30)
    vendor.drain(feed.queue_url)
    held_key = samples.cloudtrail_key(0)
    for i in range(6):
        vendor.put_object(feed.bucket, samples.cloudtrail_key(i), samples.cloudtrail_object(
            samples.cloudtrail_records(30, seed=i)))
    sink = _HeldSink(held_key)
    collector = make_collector(moto_server.endpoint, feed.queue_url, str(tmp_path / "ckpt"), sink, name="order",
                               max_workers=2)
    stop = threading.Event()
    thread = threading.Thread(target=collector.run, args=(stop, 3.0), daemon=True)
    thread.start()
    try:
        assert sink.reached.wait(30)
        deadline = time.time() + 30
        while vendor.depth(feed.queue_url) > 1 and time.time() < deadline:
            time.sleep(0.1)
        assert vendor.depth(feed.queue_url) == 1  # the five others are written and deleted meanwhile
        for _ in range(10):  # and the held one is not deleted while its events wait
            assert vendor.depth(feed.queue_url) == 1
            time.sleep(0.1)
        assert not any(source.endswith(held_key) for source, *_ in sink.events)
    finally:
        sink.release.set()
    run_deadline = time.time() + 30
    while vendor.depth(feed.queue_url) and time.time() < run_deadline:
        time.sleep(0.1)
    stop.set()
    thread.join(15)
    assert vendor.depth(feed.queue_url) == 0
    assert len(sink.events) == 6 * 30
    assert collector.metrics.total["messages_deleted"] == 6
