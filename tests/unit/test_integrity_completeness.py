"""CloudTrail digest validation, completeness: which of the log files a digest lists were read
intact, altered, missing or not known to this forwarder, and digests left pending until their
files arrive (grace period, restarts, the store's item limit, how often they are looked at).

Real boto3 calls to the ListPublicKeys stand-in, digests signed in the test
(tests/integrity_harness.py, tests/digest_factory.py).
"""

from __future__ import annotations

import json

import pytest

from digest_factory import Trail
from integrity_harness import event_of, ingest, make, read_digest
from sqs_s3_audit_engine.integrity import MemoryState, record_log_hash
from sqs_s3_audit_engine.integrity.completeness import Presence

pytestmark = pytest.mark.usefixtures("standin_reset")


def test_all_files_present_and_intact_pass_with_a_valid_signature_and_a_first_then_linked_chain(standin):
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket")
    files = [trail.log_file(), trail.log_file()]
    ingest(validator, *files)
    first_digest = trail.digest(files)
    first = event_of(read_digest(validator, first_digest))
    assert first["signature"] == "valid" and first["chain"] == "first" and first["result"] == "pass"
    assert first["files_listed"] == first["files_verified"] == 2 and first["missing"] == first["modified"] == []
    assert (first["account"], first["region"], first["trail"]) == ("111122223333", "us-east-2", "your-trail-name")
    more = [trail.log_file()]
    ingest(validator, *more)
    second = event_of(read_digest(validator, trail.digest(more)))
    assert second["chain"] == "ok" and second["signature"] == "valid" and second["result"] == "pass"
    assert second["previous_digest"] == first_digest.source
    assert standin.calls == ["us-east-2"], "the region's keys are fetched once and cached"


def test_a_file_altered_after_delivery_is_reported_modified(standin):
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket")
    good, altered = trail.log_file(), trail.log_file()
    ingest(validator, good)
    record_log_hash(validator.state, altered.bucket, altered.key, "0" * 64)  # what was read differs
    event = event_of(read_digest(validator, trail.digest([good, altered])))
    assert event["modified"] == [f"s3://ct-bucket/{altered.key}"] and event["files_verified"] == 1
    assert event["result"] == "fail"


def test_a_file_never_announced_is_missing_after_the_grace_period(standin):
    validator, clock = make(standin, grace=60)
    trail = Trail(standin, "ct-bucket")
    seen, never = trail.log_file(), trail.log_file()
    ingest(validator, seen)
    assert read_digest(validator, trail.digest([seen, never])) is None
    assert validator.due() == [], "still inside the grace period"
    clock.now += 61
    [(source, _, text)] = validator.due()
    event = json.loads(text)
    assert event["missing"] == [f"s3://ct-bucket/{never.key}"] and event["result"] == "fail"
    assert event["waited_seconds"] == 61
    validator.done(source)
    assert validator.pending_count() == 0 and validator.due() == []


def test_with_a_local_checkpoint_an_unseen_file_still_in_the_bucket_is_not_known_here(standin):
    present = {}
    validator, clock = make(standin, grace=0, shared=False, locate=lambda _b, k: present[k])
    trail = Trail(standin, "ct-bucket")
    elsewhere, deleted, read, changed = (trail.log_file() for _ in range(4))
    present[elsewhere.key], present[deleted.key] = Presence(True), Presence(False)
    present[read.key], present[changed.key] = Presence(True, read.sha256), Presence(True, "1" * 64)
    event = event_of(read_digest(validator, trail.digest([elsewhere, deleted, read, changed])))
    assert event["not_known_here"] == [f"s3://ct-bucket/{elsewhere.key}"]
    assert event["missing"] == [f"s3://ct-bucket/{deleted.key}"], "gone from the bucket: missing whoever reads the queue"
    assert event["files_verified"] == 1, "its version was read: the checkpoint kept its hash with the object"
    assert event["modified"] == [f"s3://ct-bucket/{changed.key}"]


def test_a_digest_arriving_before_its_log_files_waits_then_resolves_and_survives_a_restart(standin):
    state = MemoryState()
    validator, clock = make(standin, grace=900, state=state)
    trail = Trail(standin, "ct-bucket")
    files = [trail.log_file(), trail.log_file()]
    digest = trail.digest(files)
    assert read_digest(validator, digest) is None
    ingest(validator, files[0])
    assert validator.due() == [], "one file is still to come"
    restarted, _ = make(standin, grace=900, state=state, clock=clock)  # a restart: same checkpoint
    assert restarted.pending_count() == 1
    ingest(restarted, files[1])
    clock.now += 5
    [(source, when, text)] = restarted.due()
    event = json.loads(text)
    assert source == digest.source and event["files_verified"] == 2 and event["missing"] == [] and event["result"] == "pass"
    assert when == 1741104000.0  # digestEndTime 2025-03-04T16:00:00Z


# -- issue 19, findings 4 and 5: which listed files a digest makes the input look up --------------
def test_a_forged_digest_is_reported_at_once_and_no_listed_file_is_looked_up(standin):
    asked = []

    def locate(bucket, key):
        asked.append((bucket, key))
        return Presence(False)

    validator, clock = make(standin, grace=60, shared=False, locate=locate)
    trail = Trail(standin, "ct-bucket")
    files = [trail.log_file() for _ in range(3)]
    event = event_of(read_digest(validator, trail.digest(files, forge=True)))  # not left pending
    assert event["signature"] == "invalid" and event["result"] == "fail" and asked == []
    assert validator.pending_count() == 0


def test_after_the_grace_only_the_digests_own_bucket_and_allowed_buckets_are_looked_up(standin):
    asked = []

    def locate(bucket, key):
        asked.append((bucket, key))
        return Presence(False)

    validator, clock = make(standin, grace=60, shared=False, locate=locate)
    validator.readable = lambda bucket: bucket == "also-read"
    trail = Trail(standin, "ct-bucket")
    files = [trail.log_file() for _ in range(2)]
    elsewhere = [f.__class__("victim-bucket", f.key, f.raw) for f in (trail.log_file(), trail.log_file())]
    allowed = [f.__class__("also-read", f.key, f.raw) for f in (trail.log_file(),)]
    assert read_digest(validator, trail.digest(files + elsewhere + allowed)) is None  # pending
    clock.now += 61
    validator.due()
    assert sorted({bucket for bucket, _key in asked}) == ["also-read", "ct-bucket"]


# -- issue 19, finding 5: pending digests fit the store's item limit and are rate-limited ------------
class SizedState(MemoryState):
    """MemoryState that refuses an item over DynamoDB's 400 KB, as the shared checkpoint would."""

    def put(self, name, value):
        assert len(json.dumps(value)) < 400_000, f"{name}: {len(json.dumps(value))} bytes"
        super().put(name, value)


def test_a_pending_digest_listing_3000_files_is_stored_in_items_under_400_kb(standin):
    validator, clock = make(standin, grace=900, state=SizedState())
    trail = Trail(standin, "ct-bucket")
    files = [trail.log_file() for _ in range(3000)]
    assert read_digest(validator, trail.digest(files)) is None  # pending, stored in pieces
    ingest(validator, *files)
    clock.now += 31
    [(_source, _when, text)] = validator.due()
    assert json.loads(text)["files_verified"] == 3000


def test_pending_digests_are_looked_at_no_more_than_every_30_seconds(standin):
    validator, clock = make(standin, grace=900)
    trail = Trail(standin, "ct-bucket")
    files = [trail.log_file() for _ in range(3)]
    assert read_digest(validator, trail.digest(files)) is None
    reads = []
    real_get = validator.state.get
    validator.state.get = lambda name: (reads.append(name), real_get(name))[1]
    for _ in range(10):  # ten ticks of the receive loop, 2 s apart
        validator.due()
        clock.now += 2
    per_file = [name for name in reads if "CloudTrail/" in name and "#" not in name and "pending" not in name]
    assert len(per_file) <= 3 * 1, per_file[:5]  # one look in 20 s, not one per tick


def test_a_store_refusing_one_digests_state_fails_that_object_instead_of_holding_a_worker(standin):
    import io
    import logging

    from sqs_s3_audit_engine.delivery.leases import CheckpointUnavailable
    from sqs_s3_audit_engine.errors import ObjectError
    from sqs_s3_audit_engine.integrity.intake import DigestIntake

    class RefusingState(MemoryState):
        def put(self, name, value):  # noqa: ARG002 - MemoryState.put's signature
            raise CheckpointUnavailable(table="t", region="us-east-1", action="dynamodb:PutItem",
                                        code="ValidationException", cause="error",
                                        detail="Item size has exceeded the maximum allowed size", hint="")

    validator, _ = make(standin, grace=900, state=RefusingState())
    trail = Trail(standin, "ct-bucket")
    digest = trail.digest([trail.log_file()])
    intake = DigestIntake(validator=validator, write=[].append, log=logging.getLogger("t"))
    with pytest.raises(ObjectError) as info:
        intake.digest_object(digest.bucket, digest.key, {"Body": io.BytesIO(digest.raw), "Metadata": digest.metadata})
    assert info.value.reason == "digest_not_stored"
