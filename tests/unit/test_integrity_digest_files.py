"""CloudTrail digest files: the documented signing string, digest keys (prefix, organisation,
backfill), malformed digests refused, and AWS's documented sample digests parsed and checked.

Samples from AWS's "CloudTrail digest file structure" page are in tests/fixtures/samples/;
shared set-up in tests/integrity_harness.py.
"""

from __future__ import annotations

import json

import pytest

from digest_factory import Trail
from integrity_harness import event_of, make
from sqs_s3_audit_engine.integrity import record_log_hash, parse_key
from sqs_s3_audit_engine.integrity.digest import DigestError, parse_digest, signing_string

pytestmark = pytest.mark.usefixtures("standin_reset")


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
