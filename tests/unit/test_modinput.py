"""The modular input protocol pieces that need no splunkd: scheme, request parsing, validation."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest

from sqs_s3_audit_engine.errors import ConfigError
from sqs_s3_audit_splunk.modinput import validate
from sqs_s3_audit_splunk.protocol import parse_input_xml, parse_validation_xml, scheme_xml

RUN = """<input><server_host>hf</server_host><server_uri>https://127.0.0.1:8089</server_uri>
<session_key>k</session_key><checkpoint_dir>/var/ckpt</checkpoint_dir><configuration>
<stanza name="sqs_s3_audit://ct" app="TA_sqs_s3_audit"><param name="account">prod</param>
<param name="sqs_queue_url">https://sqs.us-east-1.amazonaws.com/123456789012/q</param></stanza>
</configuration></input>"""


def test_run_request_gives_header_stanza_and_params():
    header, name, params = parse_input_xml(RUN)
    assert header["checkpoint_dir"] == "/var/ckpt" and header["server_uri"] == "https://127.0.0.1:8089"
    assert name == "sqs_s3_audit://ct" and params["account"] == "prod"


def test_a_request_without_its_node_is_refused():
    with pytest.raises(ConfigError):
        parse_validation_xml("<items><server_uri>x</server_uri></items>")


def test_validation_without_splunkd_checks_the_parameters_themselves():
    good = ("<items><item name='in'><param name='account'>a</param>"
            "<param name='sqs_queue_url'>https://sqs.us-east-1.amazonaws.com/123456789012/q</param></item></items>")
    out = io.StringIO()
    assert validate(good, out) == 0 and out.getvalue() == ""
    bad = good.replace("123456789012/q", "q")
    assert validate(bad, out) == 1
    assert ET.fromstring(out.getvalue()).findtext("message").startswith("sqs_queue_url:")


def test_scheme_is_xml_streaming_with_external_validation():
    root = ET.fromstring(scheme_xml())
    assert root.findtext("streaming_mode") == "xml"
    required = {a.get("name") for a in root.iter("arg") if a.findtext("required_on_create") == "true"}
    assert required == {"account", "sqs_queue_url"}


def test_run_request_params_are_stripped_and_the_stanzas_app_is_not_a_parameter():
    header, _, params = parse_input_xml(RUN.replace("<session_key>k</session_key>", "<session_key> k\n</session_key>")
                                        .replace(">prod<", ">  prod \n<"))
    assert header["session_key"] == "k" and params["account"] == "prod"
    assert "__app" not in params and set(params) == {"account", "sqs_queue_url"}


def test_a_multi_valued_parameter_is_refused_naming_it():
    text = RUN.replace('<param name="account">prod</param>',
                       '<param_list name="account"><value>a</value><value>b</value></param_list>')
    with pytest.raises(ConfigError) as caught:
        parse_input_xml(text)
    assert caught.value.parameter == "account"


def test_a_run_request_without_a_stanza_is_refused():
    with pytest.raises(ConfigError) as caught:
        parse_input_xml("<input><server_uri>x</server_uri><configuration></configuration></input>")
    assert caught.value.parameter == "stanza"
