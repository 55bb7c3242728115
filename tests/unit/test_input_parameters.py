"""One list of the input's parameters: globalConfig.json.

The scheme (``--scheme``), ``README/inputs.conf.spec`` (UCC makes it from globalConfig.json),
the validation (``config.parse_input``, which ``--validate-arguments`` and the run use) and
globalConfig.json itself must agree. A parameter added to globalConfig.json reaches the
scheme and the spec by itself; these tests fail until ``parse_input`` reads it, and say so.
"""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from modinput_runner import APP, SCRIPT, pythons
from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_splunk.protocol import SPLUNKD_SETTINGS, input_fields, scheme_xml

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/audit"
#: a valid value for each required parameter and for each one that parse_input reads only
#: under a condition (the backfill needs its bucket and date, the table needs the DynamoDB
#: store); a parameter not in globalConfig.json is ignored here
EXAMPLES = {
    "account": "prod",
    "sqs_queue_url": QUEUE,
    "backfill_bucket": "audit-bucket",
    "backfill_start_date": "2025-03-01",
    "backfill_prefix": "AWSLogs/",
    "checkpoint_store": "dynamodb",
    "checkpoint_table": "sqs-s3-audit-checkpoints",
}
FIELDS = {e["field"]: e for e in input_fields()}
PARAMETERS = [name for name in FIELDS if name not in SPLUNKD_SETTINGS]


class _Recording(dict):
    """The stanza's parameters, remembering which ones parse_input looked at."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def _default(entity: dict) -> str:
    value = entity.get("defaultValue")
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def valid_params(**changes: str) -> dict:
    params = {name: EXAMPLES.get(name, _default(FIELDS[name])) for name in PARAMETERS}
    params.update(changes)
    return params


def test_the_scheme_has_an_argument_for_every_parameter_in_global_config_and_nothing_else():
    args = ET.fromstring(scheme_xml()).iter("arg")
    assert [a.get("name") for a in args] == PARAMETERS


def test_the_scheme_requires_on_create_what_global_config_requires():
    root = ET.fromstring(scheme_xml())
    required = {a.get("name") for a in root.iter("arg") if a.findtext("required_on_create") == "true"}
    assert required == set(REQUIRED)
    assert {"account", "sqs_queue_url"} <= required


def test_parse_input_reads_every_parameter_and_no_other():
    params = _Recording(valid_params())
    parse_input("in", params)
    unread = set(PARAMETERS) - params.read
    assert not unread, f"globalConfig.json parameters that parse_input never reads: {sorted(unread)}"
    unknown = params.read - set(FIELDS) - SPLUNKD_SETTINGS
    assert not unknown, f"parse_input reads parameters that globalConfig.json lacks: {sorted(unknown)}"


REQUIRED = [name for name in PARAMETERS if FIELDS[name].get("required")]


def test_the_parameters_global_config_requires_are_enough():
    parse_input("in", {name: EXAMPLES[name] for name in REQUIRED})


@pytest.mark.parametrize("name", REQUIRED)
def test_a_parameter_global_config_requires_is_refused_when_missing_naming_it(name):
    params = {other: EXAMPLES[other] for other in REQUIRED if other != name}
    with pytest.raises(ConfigError) as caught:
        parse_input("in", params)
    assert caught.value.parameter == name


def test_global_config_defaults_are_parse_inputs_defaults():
    given = {name: EXAMPLES[name] for name in REQUIRED}
    defaults = dict(given, **{name: _default(FIELDS[name]) for name in PARAMETERS
                              if FIELDS[name].get("defaultValue") is not None})
    assert parse_input("in", defaults) == parse_input("in", given)


_CHOICES = [(name, option["value"]) for name in PARAMETERS
            for option in FIELDS[name].get("options", {}).get("autoCompleteFields", []) if "value" in option]


@pytest.mark.parametrize("name, value", _CHOICES)
def test_every_choice_global_config_offers_is_accepted(name, value):
    parse_input("in", valid_params(**{name: value}))


@pytest.mark.parametrize("name", sorted({name for name, _ in _CHOICES}))
def test_a_value_global_config_does_not_offer_is_refused_naming_the_parameter(name):
    with pytest.raises(ConfigError) as caught:
        parse_input("in", valid_params(**{name: "not-a-choice"}))
    assert caught.value.parameter == name


_RANGES = [(name, v["range"]) for name in PARAMETERS for v in FIELDS[name].get("validators", [])
           if v.get("type") == "number" and "range" in v]


@pytest.mark.parametrize("name, bounds", _RANGES, ids=[name for name, _ in _RANGES])
def test_number_ranges_in_global_config_are_the_ones_parse_input_enforces(name, bounds):
    low, high = bounds
    for value in (low, high):
        parse_input("in", valid_params(**{name: str(value)}))
    for value in (low - 1, high + 1):
        with pytest.raises(ConfigError) as caught:
            parse_input("in", valid_params(**{name: str(value)}))
        assert caught.value.parameter == name


BUILT_SPEC = os.path.join(APP, "README", "inputs.conf.spec")


@pytest.mark.skipif(not os.path.isfile(BUILT_SPEC), reason="built app missing: run `make build`")
def test_the_built_inputs_conf_spec_lists_the_global_config_fields():
    keys, stanza = set(), None
    for line in open(BUILT_SPEC, encoding="utf-8"):
        if line.startswith("["):
            stanza = line.strip()
        elif stanza == "[sqs_s3_audit://<name>]" and re.match(r"^[\w.]+ = ", line):
            keys.add(line.split(" = ", 1)[0])
    splunkd_keys = {"python.required", "python.version"}  # UCC adds them: splunkd's own
    assert keys - splunkd_keys == set(FIELDS) - {"name"}


@pytest.mark.parametrize("python", sorted(pythons()))
def test_the_built_scripts_scheme_comes_from_the_shipped_global_config(python):
    if not os.path.isfile(SCRIPT):
        pytest.skip("built app missing: run `make build`")
    out = subprocess.run([pythons()[python], "-B", SCRIPT, "--scheme"], capture_output=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert [a.get("name") for a in ET.fromstring(out.stdout).iter("arg")] == PARAMETERS
