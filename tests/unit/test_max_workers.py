"""max_workers: 1 to 64, the same range in the engine and in the form's validator."""

from __future__ import annotations

import json
import os

import pytest

from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_engine.receiving import places_for, receivers_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def params(**overrides):
    base = {"account": "acct", "sqs_queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/q"}
    base.update(overrides)
    return base


@pytest.mark.parametrize("value", ["1", "16", "32", "64"])
def test_max_workers_up_to_64_is_accepted(value):
    assert parse_input("in", params(max_workers=value)).max_workers == int(value)


@pytest.mark.parametrize("value", ["0", "65", "128"])
def test_max_workers_outside_1_to_64_is_refused_naming_it(value):
    with pytest.raises(ConfigError, match="max_workers"):
        parse_input("in", params(max_workers=value))


def test_the_form_validates_the_same_range():
    with open(os.path.join(ROOT, "globalConfig.json")) as handle:
        config = json.load(handle)
    entity = next(e for s in config["pages"]["inputs"]["services"] for e in s["entity"] if e["field"] == "max_workers")
    assert entity["validators"][0]["range"] == [1, 64]


def test_64_workers_get_8_receivers_and_192_places():
    assert receivers_for(64) == 8 and places_for(64) == 192 and receivers_for(8) == 1
