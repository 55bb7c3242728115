"""The one-object path (ingest.py): whole objects decided once, no object fetched twice.

The object store and the sink are in-memory doubles of the interfaces the engine talks to;
the sample digest is AWS's documented digest file (tests/fixtures/samples/cloudtrail_digest.json,
its source in cloudtrail_digest_samples.md).
"""

from __future__ import annotations

import gzip
import io
import logging
import threading
from pathlib import Path

import pytest

from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.delivery.batches import Delivery
from sqs_s3_audit_engine.delivery.checkpoint import Checkpoint, object_id
from sqs_s3_audit_engine.delivery.leases import LocalLeases
from sqs_s3_audit_engine.events import ObjectEvents
from sqs_s3_audit_engine.ingest import Ingest
from sqs_s3_audit_engine.metrics import Metrics
from sqs_s3_audit_engine.notification_types import ObjectRef

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
DIGEST = (SAMPLES / "cloudtrail_digest.json").read_bytes()
TRAIL = (SAMPLES / "cloudtrail_management.json").read_bytes()


class CountingStore:
    """An object store double: ``get`` as :class:`sqs_s3_audit_engine.aws.ObjectStore` answers it."""

    def __init__(self, objects):
        self.objects, self.gets = objects, []

    def get(self, bucket, key, version_id=None):
        assert bucket == "b" and not version_id
        self.gets.append(key)
        return {"Body": io.BytesIO(self.objects[key]), "ETag": f'"{len(self.gets)}-{key}"'}


class Sink:
    def __init__(self):
        self.events = []

    def write(self, source, sourcetype, events):
        self.events.extend((source, sourcetype, t, d) for t, d in events)


def _ingest(tmp_path, objects, handlers=None, **params):
    cfg = parse_input("t", {"account": "a", "sqs_queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                            **params})
    checkpoint = LocalLeases(Checkpoint(str(tmp_path), "t", fsync=False))
    sink, store = Sink(), CountingStore(objects)
    log = logging.getLogger("test.ingest")
    delivery = Delivery(sink, checkpoint, stop=threading.Event())
    ingest = Ingest(cfg, store=store, checkpoint=checkpoint, delivery=delivery, log=log, metrics=Metrics(),
                    whole_object_handlers=handlers)
    return ingest, store, sink, checkpoint


@pytest.mark.parametrize("key", ["odd/place.json.gz", "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/x.json.gz"])
def test_a_digest_found_by_content_reaches_its_handler_whole_from_the_one_get(tmp_path, key):
    seen = []

    def handler(ref, response, oid):
        assert ref.key == key
        seen.append(gzip.decompress(response["Body"].read()))
        checkpoint.finish(oid)

    ingest, store, sink, checkpoint = _ingest(tmp_path, {key: gzip.compress(DIGEST)},
                                              {"cloudtrail_digest": handler})
    ingest.read_object(ObjectRef(bucket="b", key=key))
    assert store.gets == [key], "GetObject once"
    assert seen == [DIGEST] and sink.events == []
    assert checkpoint.is_done(object_id("b", key, f"1-{key}"))


def test_a_whole_object_without_handler_is_skipped_once_and_finished(tmp_path, caplog):
    key = "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/01/02/d.json.gz"
    ingest, store, sink, checkpoint = _ingest(tmp_path, {key: gzip.compress(DIGEST)})
    with caplog.at_level(logging.INFO, logger="test.ingest"):
        ingest.read_object(ObjectRef(bucket="b", key=key))
    assert store.gets == [key] and sink.events == []
    assert sum("digest_skipped" in r.getMessage() for r in caplog.records) == 1
    assert checkpoint.is_done(object_id("b", key, f"1-{key}"))


def test_several_objects_of_one_message_are_each_their_own_and_a_failure_leaves_the_rest_done(tmp_path):
    good = "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/a.json"
    ingest, store, sink, checkpoint = _ingest(tmp_path, {good: TRAIL, "bad.json": b"\x00\x01binary" * 100})
    ok = ingest.read_objects([ObjectRef(bucket="b", key=good), ObjectRef(bucket="b", key="bad.json")])
    assert not ok and store.gets == [good, "bad.json"] and sink.events
    assert checkpoint.is_done(object_id("b", good, f"1-{good}"))
    written = len(sink.events)
    assert ingest.read_objects([ObjectRef(bucket="b", key=good, etag=f"1-{good}")]) is True
    assert len(sink.events) == written and store.gets[-1] == "bad.json", "already done: no GetObject"


def test_record_objects_keep_nothing_once_their_type_is_decided():
    body = io.BytesIO(gzip.compress(TRAIL))
    events = ObjectEvents(body, bucket="b", key="x.json.gz", keep_whole=True)
    assert list(events) and not events.whole_object and events.whole_body is None
    assert events.body.parts == [], "nothing kept after the first record"
