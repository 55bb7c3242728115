"""The modular input protocol's XML, through splunklib's ``modularinput`` package.

* ``--scheme``: a ``splunklib.modularinput.Scheme`` whose arguments are the input's
  fields in ``globalConfig.json``, the one list of the input's parameters (UCC also
  makes the Inputs page and ``README/inputs.conf.spec`` from it). The built app has it
  at ``appserver/static/js/build/globalConfig.json``, where UCC puts it and
  splunktaucclib's ``setup_util`` reads it too; the source tree has it at the top.
* the run-time input definition and the ``--validate-arguments`` request: parsed by
  ``InputDefinition.parse`` and ``ValidationDefinition.parse``.

Events are written by the project's own ``event_writer`` (the measured fast path).
"""

from __future__ import annotations

import functools
import io
import json
import os
import xml.etree.ElementTree as ET
from typing import Dict, Tuple

from splunklib.modularinput import Argument, InputDefinition, Scheme, ValidationDefinition

from sqs_s3_audit_engine.errors import ConfigError

__all__ = ["SCHEME_NAME", "SPLUNKD_SETTINGS", "input_fields", "scheme_xml", "parse_input_xml",
           "parse_validation_xml"]

SCHEME_NAME = "sqs_s3_audit"
#: stanza settings that are splunkd's own, not arguments of the scheme
SPLUNKD_SETTINGS = frozenset({"name", "index", "sourcetype", "host", "interval", "disabled"})
HEADER_FIELDS = ("server_host", "server_uri", "session_key", "checkpoint_dir")

_BIN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GLOBAL_CONFIG_PATHS = (
    os.path.join(os.path.dirname(_BIN), "appserver", "static", "js", "build", "globalConfig.json"),  # built app
    os.path.join(os.path.dirname(os.path.dirname(_BIN)), "globalConfig.json"),  # source tree: package/bin
)


@functools.lru_cache(maxsize=None)
def input_fields() -> Tuple[dict, ...]:
    """The ``sqs_s3_audit`` input's entities in globalConfig.json, in the page's order."""
    for path in GLOBAL_CONFIG_PATHS:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                config = json.load(handle)
            break
    else:
        raise FileNotFoundError(f"globalConfig.json not found in {' or '.join(GLOBAL_CONFIG_PATHS)}")
    services = config["pages"]["inputs"]["services"]
    service = next(s for s in services if s["name"] == SCHEME_NAME)
    return tuple(e for e in service["entity"] if e.get("field"))


def scheme() -> Scheme:
    """The ``--scheme`` answer: XML streaming, external validation, one process per input."""
    result = Scheme("SQS-based S3 audit logs")
    result.description = ("Collect vendor audit logs (CloudTrail, Iru Endpoint, Thrive, S3 access logs) "
                          "announced on an SQS queue.")
    result.use_external_validation = True
    result.use_single_instance = False
    result.streaming_mode = Scheme.streaming_mode_xml
    for entity in input_fields():
        if entity["field"] in SPLUNKD_SETTINGS:
            continue
        result.add_argument(Argument(
            entity["field"],
            title=entity.get("label"),
            description=" ".join(str(entity.get("help") or entity.get("label") or "").split()),
            data_type=Argument.data_type_string,
            required_on_edit=False,
            required_on_create=bool(entity.get("required")),
        ))
    return result


def scheme_xml() -> str:
    return ET.tostring(scheme().to_xml(), encoding="unicode") + "\n"


def _values(params: Dict[str, object]) -> Dict[str, str]:
    values: Dict[str, str] = {}
    for name, value in params.items():
        if name is None or name.startswith("__"):  # "__app": the stanza's app attribute
            continue
        if isinstance(value, list):
            raise ConfigError(name, "is given as a list of values; one value is expected")
        values[name] = (value or "").strip()
    return values


def _header(metadata: Dict[str, object]) -> Dict[str, str]:
    return {tag: str(metadata.get(tag) or "").strip() for tag in HEADER_FIELDS}


def _parse(text: str, parser):
    try:
        return parser(io.BytesIO(text.encode("utf-8")))
    except ValueError as exc:  # parse_parameters: an unexpected tag inside a stanza or item
        raise ConfigError("configuration", f"the XML from splunkd is not understood: {exc}") from None


def parse_input_xml(text: str) -> Tuple[Dict[str, str], str, Dict[str, str]]:
    """(header fields, stanza name, stanza params) of the run-time input definition XML."""
    definition = _parse(text, InputDefinition.parse)
    if not definition.inputs:
        raise ConfigError("stanza", "the input configuration from splunkd has no <stanza>")
    name, params = next(iter(definition.inputs.items()))
    return _header(definition.metadata), name or "", _values(params)


def parse_validation_xml(text: str) -> Tuple[Dict[str, str], str, Dict[str, str]]:
    """(header fields, item name, params) of the ``--validate-arguments`` XML."""
    definition = _parse(text, ValidationDefinition.parse)
    if "name" not in definition.metadata:
        raise ConfigError("item", "the validation request from splunkd has no <item>")
    return _header(definition.metadata), definition.metadata["name"] or "", _values(definition.parameters)

