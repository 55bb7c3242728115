"""Helpers of the digest validation tests (tests/unit/test_integrity_*.py): a DigestValidator
on a test clock that asks the ListPublicKeys stand-in (:mod:`cloudtrail_standin`, the
``standin`` fixture of tests/unit/conftest.py) through real boto3 calls, and short ways to feed
it digests and log-file hashes.
"""

from __future__ import annotations

import json

import boto3

from sqs_s3_audit_engine.integrity import MemoryState, PublicKeys, DigestValidator, record_log_hash


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

