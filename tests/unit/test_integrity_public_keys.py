"""CloudTrail digest validation, public keys: ListPublicKeys denied or asked for an unknown
fingerprint, and lookups bounded (one listing per region and interval, a bounded number of
regions, no shared lock held while a region is listed).

Real boto3 calls to the ListPublicKeys stand-in, digests signed in the test
(tests/integrity_harness.py, tests/digest_factory.py).
"""

from __future__ import annotations

import json

import pytest

from digest_factory import Trail
from integrity_harness import event_of, ingest, make, read_digest

pytestmark = pytest.mark.usefixtures("standin_reset")


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
