"""CloudTrail digest validation, signature and chain: forged, changed and moved digests fail
their signature; a broken chain, a gap and a restart of logging are told apart; chains are
kept per account, region and bucket, and forged digests cannot hide a tampered predecessor.

Real boto3 calls to the ListPublicKeys stand-in, digests signed in the test
(tests/integrity_harness.py, tests/digest_factory.py).
"""

from __future__ import annotations

import json

import pytest

from digest_factory import Trail
from integrity_harness import event_of, ingest, make, read_digest

pytestmark = pytest.mark.usefixtures("standin_reset")


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
