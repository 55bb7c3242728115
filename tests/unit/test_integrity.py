"""CloudTrail digest validation: signature, chain and completeness, with real boto3 calls to
the ListPublicKeys stand-in and digests signed in the test."""

from __future__ import annotations

import json

import boto3
import pytest

from cloudtrail_standin import CloudTrailStandin
from digest_factory import Trail
from sqs_s3_audit_engine.integrity import MemoryState, PublicKeys, DigestValidator, record_log_hash, parse_key
from sqs_s3_audit_engine.integrity.completeness import Presence
from sqs_s3_audit_engine.integrity.digest import DigestError, parse_digest, signing_string


@pytest.fixture(scope="module")
def standin():
    server = CloudTrailStandin().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset(standin, monkeypatch):
    standin.deny = False
    standin.calls.clear()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def make(standin, *, grace=60.0, shared=True, locate=None, state=None, clock=None):
    clock = clock or Clock()
    keys = PublicKeys(client_for=lambda region: boto3.client("cloudtrail", region_name=region,
                                                             endpoint_url=standin.endpoint), clock=clock)
    validator = DigestValidator(state=state or MemoryState(), public_keys=keys, grace=grace, shared=shared,
                                locate=locate, owner="test", clock=clock)
    return validator, clock


def read_digest(validator, digest):
    return validator.accept(bucket=digest.bucket, key=digest.key, raw=digest.raw, metadata=digest.metadata)


def ingest(validator, *files):
    for f in files:
        record_log_hash(validator.state, f.bucket, f.key, f.sha256)


def event_of(result):
    assert result is not None, "the digest was left pending"
    return json.loads(result[1])


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


def test_a_forged_signature_is_invalid(standin):
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket")
    f = trail.log_file()
    ingest(validator, f)
    event = event_of(read_digest(validator, trail.digest([f], forge=True)))
    assert event["signature"] == "invalid" and "does not match" in event["signature_reason"] and event["result"] == "fail"


def test_a_digest_whose_content_was_changed_fails_its_signature(standin):
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket")
    f = trail.log_file()
    ingest(validator, f)
    digest = trail.digest([f])
    tampered = digest.raw.replace(b'"logFiles":[{', b'"logFiles":[{"x":1,')
    event = event_of(validator.accept(bucket=digest.bucket, key=digest.key, raw=tampered, metadata=digest.metadata))
    assert event["signature"] == "invalid"


def test_a_digest_moved_from_its_original_location_is_invalid(standin):
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket")
    digest = trail.digest([])
    event = event_of(validator.accept(bucket="other-bucket", key=digest.key, raw=digest.raw, metadata=digest.metadata))
    assert event["signature"] == "invalid" and "original location" in event["signature_reason"]


def test_a_broken_chain_a_gap_and_a_restart_of_logging_are_told_apart(standin):
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket")
    first = trail.digest([])
    assert event_of(read_digest(validator, first))["chain"] == "first"
    second = trail.digest([])
    fields = json.loads(second.raw)
    fields["previousDigestHashValue"] = "f" * 64  # says the previous digest had other content
    broken = event_of(validator.accept(bucket=second.bucket, key=second.key,
                                       raw=json.dumps(fields).encode(), metadata=second.metadata))
    assert broken["chain"] == "broken" and "previousDigestHashValue" in broken["chain_reason"]
    trail.digest([])  # never read here
    after_gap = event_of(read_digest(validator, trail.digest([])))
    assert after_gap["chain"] == "gap" and "was not seen" in after_gap["chain_reason"] and after_gap["result"] == "warn"
    restarted = event_of(read_digest(validator, trail.digest([], link=False)))
    assert restarted["chain"] == "gap" and "restarted" in restarted["chain_reason"]


def test_a_redelivered_digest_gets_the_same_chain_verdict(standin):
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket")
    digest = trail.digest([])
    assert event_of(read_digest(validator, digest))["chain"] == "first"
    assert event_of(read_digest(validator, digest))["chain"] == "first"


def test_digests_of_several_accounts_and_regions_of_an_organisation_trail_chain_separately(standin):
    validator, _ = make(standin)
    trails = [Trail(standin, "org-bucket", account=account, region=region, name="org-trail", org="o-exampleorgid")
              for account in ("111122223333", "444455556666") for region in ("us-east-1", "eu-west-1")]
    for trail in trails:
        f = trail.log_file()
        ingest(validator, f)
        event = event_of(read_digest(validator, trail.digest([f])))
        assert (event["signature"], event["chain"], event["organization"]) == ("valid", "first", "o-exampleorgid")
        assert (event["account"], event["region"]) == (trail.account, trail.region)
    for trail in trails:
        event = event_of(read_digest(validator, trail.digest([])))
        assert event["chain"] == "ok"
    assert sorted(set(standin.calls)) == ["eu-west-1", "us-east-1"], "keys looked up in each digest's region"


def test_list_public_keys_denied_leaves_the_signature_unchecked_and_names_the_permission(standin):
    standin.deny = True
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket")
    f = trail.log_file()
    ingest(validator, f)
    event = event_of(read_digest(validator, trail.digest([f])))
    assert event["signature"] == "not_checked" and event["missing_permission"] == "cloudtrail:ListPublicKeys"
    assert "cloudtrail:ListPublicKeys" in event["signature_reason"]
    assert event["files_verified"] == 1 and event["result"] == "warn", "hashes are still checked"
    read_digest(validator, trail.digest([]))
    assert len(standin.calls) == 1, "a denied region is not asked again for every digest"


def test_an_unknown_fingerprint_is_invalid_and_asked_for_once(standin):
    validator, _ = make(standin)
    trail = Trail(standin, "ct-bucket", region="ap-south-1")
    digest = trail.digest([])
    fields = json.loads(digest.raw)
    fields["digestPublicKeyFingerprint"] = "00" * 16
    raw = json.dumps(fields).encode()
    for _ in range(3):
        event = event_of(validator.accept(bucket=digest.bucket, key=digest.key, raw=raw, metadata=digest.metadata))
        assert event["signature"] == "invalid" and "no public key with fingerprint" in event["signature_reason"]
    assert standin.calls == ["ap-south-1"]


def test_the_signing_string_is_the_documented_one(standin):
    trail = Trail(standin, "b")
    digest = parse_digest(trail.digest([]).raw)
    lines = signing_string(digest).decode().split("\n")
    assert lines[0] == "2025-03-04T16:00:00Z" and lines[1].startswith("b/AWSLogs/111122223333/CloudTrail-Digest/")
    assert lines[2] == digest.sha256 and lines[3] == "null"


def test_digest_keys_are_parsed_with_prefix_organisation_and_backfill():
    key = parse_key("logs/AWSLogs/o-aa4bbcc1dd/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/"
                    "111122223333_CloudTrail-Digest_us-east-2_my_trail_us-east-1_20150817T150131Z_backfill.json.gz")
    assert (key.account, key.region, key.trail, key.home_region, key.organization, key.backfill) == (
        "111122223333", "us-east-2", "my_trail", "us-east-1", "o-aa4bbcc1dd", True)
    assert parse_key("AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/x.json.gz") is None


@pytest.mark.parametrize("raw, named", [
    (b"not json", "not a JSON digest"),
    (b"[]", "not an object"),
    (b'{"awsAccountId":"1"}', "digestStartTime"),
])
def test_a_malformed_digest_is_refused_naming_what_is_wrong(raw, named):
    with pytest.raises(DigestError, match=named):
        parse_digest(raw)


def _documented(name):
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "samples", name)
    with open(path, "rb") as handle:
        return handle.read()


def test_aws_documented_digests_parse_and_their_keys_name_the_trail():
    sample = parse_digest(_documented("cloudtrail_digest.json"))
    [entry] = sample.log_files
    assert entry.hash_value == "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6"
    key = parse_key(sample["digestS3Object"])
    assert (key.account, key.region, key.trail, key.home_region) == ("111122223333", "us-east-2", "your-trail-name", "us-east-2")
    empty = parse_digest(_documented("cloudtrail_digest_empty.json"))
    assert empty.log_files == [] and empty["newestEventTime"] is None


def test_an_aws_documented_digest_is_checked_for_its_files_and_its_unknown_key(standin):
    validator, _ = make(standin, grace=0)
    raw = _documented("cloudtrail_digest.json")
    fields = json.loads(raw)
    record_log_hash(validator.state, "S3-bucket-name", fields["logFiles"][0]["s3Object"], fields["logFiles"][0]["hashValue"])
    event = event_of(validator.accept(bucket="S3-bucket-name", key=fields["digestS3Object"], raw=raw,
                                      metadata={"signature": "3be47233" * 64, "signature-algorithm": "SHA256withRSA"}))
    assert event["files_verified"] == 1 and event["signature"] == "invalid"
    assert "no public key with fingerprint 31e8b5433410dfb61a9dc45cc65b22ff in us-east-2" in event["signature_reason"]
    assert event["chain"] == "first" and event["previous_digest"].endswith("20150817T140131Z.json.gz")
    empty = json.loads(_documented("cloudtrail_digest_empty.json"))
    event = event_of(validator.accept(bucket="example-bucket-name", key=empty["digestS3Object"],
                                      raw=_documented("cloudtrail_digest_empty.json"), metadata={}))
    assert event["files_listed"] == 0 and event["signature"] == "invalid" and "x-amz-meta-signature" in event["signature_reason"]


# -- issue 19, findings 4 and 5: forged digests -------------------------------------------------------
def test_forged_digests_dated_9999_do_not_hide_a_tampered_predecessor(standin):
    validator, _ = make(standin, grace=0)
    trail = Trail(standin, "ct-bucket")
    genuine = trail.digest([])
    assert event_of(read_digest(validator, genuine))["chain"] == "first"
    forger = Trail(standin, "ct-bucket")
    forger.clock = forger.clock.replace(year=9998)
    for _ in range(60):  # more than the history keeps, each signed with another key
        forged = forger.digest([], forge=True)
        assert event_of(read_digest(validator, forged))["signature"] == "invalid"
    nxt = trail.digest([])
    fields = json.loads(nxt.raw)
    fields["previousDigestHashValue"] = "f" * 64  # the predecessor was tampered with
    broken = event_of(validator.accept(bucket=nxt.bucket, key=nxt.key, raw=json.dumps(fields).encode(),
                                       metadata=nxt.metadata))
    assert broken["chain"] == "broken" and broken["result"] == "fail"
    assert event_of(read_digest(validator, trail.digest([])))["chain"] in ("ok", "gap")


def test_chains_are_kept_per_bucket(standin):
    validator, _ = make(standin, grace=0)
    one, other = Trail(standin, "bucket-one"), Trail(standin, "bucket-two")
    assert event_of(read_digest(validator, one.digest([])))["chain"] == "first"
    assert event_of(read_digest(validator, other.digest([])))["chain"] == "first"  # not a restart of the first


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


# -- issue 19, finding 8: public-key lookups bounded -------------------------------------------------
def test_a_flood_of_forged_fingerprints_costs_one_listing_per_region_and_interval(standin):
    validator, clock = make(standin, grace=0)
    trail = Trail(standin, "ct-bucket")
    for n in range(50):
        fields = json.loads(trail.digest([]).raw)
        fields["digestPublicKeyFingerprint"] = f"{n:032x}"
        validator.public_keys.lookup(region="us-east-2", fingerprint=fields["digestPublicKeyFingerprint"],
                                     start=None, end=None)
    assert len(standin.calls) == 1
    clock.now += 31
    validator.public_keys.lookup(region="us-east-2", fingerprint="f" * 32, start=None, end=None)
    assert len(standin.calls) == 2
    genuine = trail.digest([])  # the trail's real key is found from the cache, no call
    assert event_of(read_digest(validator, genuine))["signature"] == "valid" and len(standin.calls) == 2


def test_regions_named_by_digests_are_bounded(standin):
    from sqs_s3_audit_engine.integrity.public_keys import MAX_REGIONS

    validator, _ = make(standin, grace=0)
    keys = validator.public_keys
    assert keys.lookup(region="not a region", fingerprint="x", start=None, end=None).status == "error"
    for n in range(MAX_REGIONS + 20):
        keys.lookup(region=f"xx-test-{n}", fingerprint="x", start=None, end=None)
    assert len(keys._region_locks) <= MAX_REGIONS and len(keys._keys) <= MAX_REGIONS


def test_no_shared_lock_is_held_while_a_region_is_listed(standin):
    import threading

    validator, _ = make(standin, grace=0)
    keys = validator.public_keys
    entered, release = threading.Event(), threading.Event()
    real = keys._client_for

    def slow_client(region):
        if region == "us-west-1":
            entered.set()
            release.wait(10)
        return real(region)

    keys._client_for = slow_client
    slow = threading.Thread(target=keys.lookup, kwargs=dict(region="us-west-1", fingerprint="a", start=None, end=None))
    slow.start()
    assert entered.wait(10)
    done = []
    other = threading.Thread(target=lambda: done.append(keys.lookup(region="eu-west-1", fingerprint="b", start=None,
                                                                    end=None)))
    other.start()
    other.join(5)
    release.set()
    slow.join(10)
    assert done, "a lookup in another region waited for the slow one"


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
