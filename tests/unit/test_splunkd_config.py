"""SplunkdConfig reads the add-on's configuration over HTTP with the real solnlib/splunklib."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE_BIN = os.path.join(ROOT, "package", "bin")
BUILT_LIB = os.path.join(ROOT, "output", "TA_sqs_s3_audit", "lib")


def _add_paths() -> None:
    for path in (os.path.join(ROOT, "scripts"), PACKAGE_BIN):
        if path not in sys.path:
            sys.path.insert(0, path)


_add_paths()

pytest.importorskip("solnlib")
pytest.importorskip("splunklib")

from splunkd_standin import SplunkdStandIn, load_seed, ucc_realm
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig, SplunkdConfigError

APP = "TA_sqs_s3_audit"
KEY = "session-key-7f3e9c2a1b"
ACCOUNT_CONF = "ta_sqs_s3_audit_account"
ROLE_CONF = "ta_sqs_s3_audit_iam_role"
SETTINGS_CONF = "ta_sqs_s3_audit_settings"
NS = f"/servicesNS/nobody/{APP}"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def splunkd():
    with SplunkdStandIn(session_key=KEY, app=APP) as server:
        yield server


def config(server: SplunkdStandIn, key: str = KEY) -> SplunkdConfig:
    return SplunkdConfig(server.base_url, key)


def add_account(server, name="prod", key_id="AKIAIOSFODNN7EXAMPLE", secret=SECRET):
    server.add_stanza(ACCOUNT_CONF, name, {"aws_access_key_id": key_id}, encrypted={"aws_secret_access_key": secret})


def test_account_secret_is_read_from_storage_passwords(splunkd):
    add_account(splunkd)
    assert config(splunkd).account("prod") == {
        "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key": SECRET,
    }
    assert ("GET", f"{NS}/configs/conf-{ACCOUNT_CONF}/prod") in splunkd.requests
    assert ("GET", f"{NS}/storage/passwords") in splunkd.requests


def test_account_without_keys_reads_as_empty_strings_without_touching_storage_passwords(splunkd):
    add_account(splunkd, "instance-profile", key_id="", secret="")
    assert config(splunkd).account("instance-profile") == {"aws_access_key_id": "", "aws_secret_access_key": ""}
    assert not [p for _, p in splunkd.requests if p.endswith("/storage/passwords")]


def test_a_long_secret_stored_in_255_character_chunks_is_joined(splunkd):
    long_secret = "S" * 700
    add_account(splunkd, secret=long_secret)
    assert len(splunkd.password_entries(ucc_realm(APP, ACCOUNT_CONF))) == 4
    assert config(splunkd).account("prod")["aws_secret_access_key"] == long_secret


def test_role_external_id_is_decrypted(splunkd):
    splunkd.add_stanza(
        ROLE_CONF,
        "auditor",
        {"role_arn": "arn:aws:iam::123456789012:role/audit-reader", "session_duration": "1800"},
        encrypted={"external_id": "ext-1234"},
    )
    assert config(splunkd).iam_role("auditor") == {
        "role_arn": "arn:aws:iam::123456789012:role/audit-reader",
        "external_id": "ext-1234",
        "session_duration": "1800",
    }


def test_role_without_external_id_or_duration_gives_empty_strings(splunkd):
    splunkd.add_stanza(ROLE_CONF, "plain", {"role_arn": "arn:aws:iam::123456789012:role/r"}, encrypted={"external_id": ""})
    assert config(splunkd).iam_role("plain") == {
        "role_arn": "arn:aws:iam::123456789012:role/r",
        "external_id": "",
        "session_duration": "",
    }


def test_proxy_password_is_decrypted(splunkd):
    splunkd.add_stanza(
        SETTINGS_CONF,
        "proxy",
        {"proxy_enabled": "1", "proxy_type": "http", "proxy_url": "proxy.corp", "proxy_port": "3128",
         "proxy_username": "svc", "proxy_rdns": "0"},
        encrypted={"proxy_password": "p@ss:word"},
    )
    assert config(splunkd).proxy() == {
        "proxy_enabled": "1",
        "proxy_type": "http",
        "proxy_url": "proxy.corp",
        "proxy_port": "3128",
        "proxy_username": "svc",
        "proxy_password": "p@ss:word",
        "proxy_rdns": "0",
    }


def test_missing_proxy_and_logging_stanzas_are_not_errors(splunkd):
    splunkd.add_conf(SETTINGS_CONF)
    cfg = config(splunkd)
    assert cfg.proxy()["proxy_enabled"] == "0"
    assert cfg.log_level() == "INFO"


def test_a_missing_settings_file_is_not_an_error(splunkd):
    cfg = config(splunkd)
    assert cfg.proxy() == {
        "proxy_enabled": "0", "proxy_type": "", "proxy_url": "", "proxy_port": "",
        "proxy_username": "", "proxy_password": "", "proxy_rdns": "",
    }
    assert cfg.log_level() == "INFO"


@pytest.mark.parametrize("configured, expected", [
    ("DEBUG", "DEBUG"), ("warning", "WARNING"), ("WARN", "WARNING"), ("ERROR", "ERROR"), ("", "INFO"), ("LOUD", "INFO"),
])
def test_log_level_is_read_from_the_logging_stanza(splunkd, configured, expected):
    splunkd.add_stanza(SETTINGS_CONF, "logging", {"loglevel": configured})
    assert config(splunkd).log_level() == expected


def test_missing_account_error_names_the_account_and_the_conf_file(splunkd):
    add_account(splunkd, "prod")
    with pytest.raises(SplunkdConfigError) as caught:
        config(splunkd).account("staging")
    assert str(caught.value) == 'account "staging" not found in ta_sqs_s3_audit_account.conf'


def test_missing_role_error_names_the_role_even_without_a_role_file(splunkd):
    with pytest.raises(SplunkdConfigError, match='IAM role "auditor" not found in ta_sqs_s3_audit_iam_role.conf'):
        config(splunkd).iam_role("auditor")


def test_missing_input_error_names_the_input_stanza(splunkd):
    splunkd.add_stanza("inputs", "sqs_s3_audit://other", {"account": "prod"})
    with pytest.raises(SplunkdConfigError, match='input "sqs_s3_audit://audit" not found in inputs.conf'):
        config(splunkd).input_stanza("audit")


def test_input_stanza_parameters_are_read_from_conf_inputs(splunkd):
    params = {
        "account": "prod",
        "iam_role": "auditor",
        "sqs_queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/audit",
        "index": "aws",
        "interval": "60",
    }
    splunkd.add_stanza("inputs", "sqs_s3_audit://audit", params)
    expected = dict(params, disabled="0")
    cfg = config(splunkd)
    assert cfg.input_stanza("audit") == expected
    assert cfg.input_stanza("sqs_s3_audit://audit") == expected
    assert ("GET", f"{NS}/configs/conf-inputs/sqs_s3_audit%3A%2F%2Faudit") in splunkd.requests


def test_wrong_session_key_fails_at_once_with_a_message_naming_splunkd(splunkd):
    add_account(splunkd)
    started = time.monotonic()
    with pytest.raises(SplunkdConfigError) as caught:
        config(splunkd, key="expired-key-123").account("prod")
    assert time.monotonic() - started < 3  # not solnlib's 1+2+4 s of retries
    message = str(caught.value)
    assert message == (
        f"splunkd at {splunkd.base_url} rejected the session key (HTTP 401): it is wrong or has expired"
    )
    assert "expired-key-123" not in message


def test_a_credential_missing_from_storage_passwords_is_named_without_secrets(splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIA", "aws_secret_access_key": "******"})
    with pytest.raises(SplunkdConfigError) as caught:
        config(splunkd).account("prod")
    message = str(caught.value)
    assert 'account "prod"' in message and "storage/passwords" in message


def test_a_stored_credential_that_is_not_json_is_reported_without_its_content(splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIA", "aws_secret_access_key": "******"})
    splunkd.set_credential(ucc_realm(APP, ACCOUNT_CONF), "prod", "not json " + SECRET)
    with pytest.raises(SplunkdConfigError) as caught:
        config(splunkd).account("prod")
    assert "not valid JSON" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_field_missing_from_the_stored_credential_is_named(splunkd):
    splunkd.add_stanza(ACCOUNT_CONF, "prod", {"aws_access_key_id": "AKIA", "aws_secret_access_key": "******"})
    splunkd.set_credential(ucc_realm(APP, ACCOUNT_CONF), "prod", json.dumps({"something_else": SECRET}))
    with pytest.raises(SplunkdConfigError) as caught:
        config(splunkd).account("prod")
    assert "aws_secret_access_key" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_an_unreachable_splunkd_is_reported_with_its_uri(splunkd):
    port = splunkd.port
    splunkd.stop()
    with pytest.raises(SplunkdConfigError, match=f"cannot reach splunkd at http://127.0.0.1:{port}"):
        SplunkdConfig(f"http://127.0.0.1:{port}", KEY, max_retries=0).account("prod")


@pytest.mark.parametrize("uri", ["", "ftp://127.0.0.1:8089", "https://:8089", "https://127.0.0.1:99999"])
def test_a_bad_server_uri_is_refused(uri):
    with pytest.raises(SplunkdConfigError):
        SplunkdConfig(uri, KEY).account("prod")


def test_server_uri_parts_are_passed_so_splunk_home_is_never_consulted(splunkd, monkeypatch, tmp_path):
    # With SPLUNK_HOME set and scheme/host/port missing, solnlib would read
    # $SPLUNK_HOME/etc/system/.../server.conf or import Splunk's `splunk` package.
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path / "no-splunk-here"))
    add_account(splunkd)
    cfg = config(splunkd)
    assert (cfg.scheme, cfg.host, cfg.port) == ("http", "127.0.0.1", splunkd.port)
    assert cfg.account("prod")["aws_secret_access_key"] == SECRET
    assert "splunk" not in sys.modules


def test_an_https_proxy_in_the_environment_does_not_carry_splunkd_traffic(splunkd, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    add_account(splunkd)
    assert SplunkdConfig(splunkd.base_url, KEY, max_retries=0).account("prod")["aws_secret_access_key"] == SECRET
    assert "127.0.0.1" in os.environ["NO_PROXY"].split(",")


def test_importing_the_adapter_does_not_import_solnlib_observability():
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import sqs_s3_audit_splunk.splunkd_config\n"
        "bad = [m for m in sys.modules if 'observability' in m or m.startswith(('grpc', 'opentelemetry'))]\n"
        "print(bad)\n"
    ) % PACKAGE_BIN
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


SEED = {
    ACCOUNT_CONF: {"prod": {"fields": {"aws_access_key_id": "AKIA"}, "encrypted": {"aws_secret_access_key": "S" * 400}}},
    ROLE_CONF: {"r": {"fields": {"role_arn": "arn:aws:iam::123456789012:role/r"}, "encrypted": {"external_id": "e"}}},
    SETTINGS_CONF: {"logging": {"fields": {"loglevel": "DEBUG"}}},
    "inputs": {"sqs_s3_audit://audit": {"fields": {"account": "prod"}}},
}

SHIPPED_PYTHON_CHECK = """
import json, sys
sys.path.insert(0, sys.argv[1])
from sqs_s3_audit_splunk.splunkd_config import SplunkdConfig, SplunkdConfigError
cfg = SplunkdConfig(sys.argv[2], sys.argv[3])
result = {"account": cfg.account("prod"), "role": cfg.iam_role("r"), "proxy": cfg.proxy(),
          "level": cfg.log_level(), "input": cfg.input_stanza("audit")}
try:
    SplunkdConfig(sys.argv[2], "wrong").account("prod")
except SplunkdConfigError as exc:
    result["wrong_key"] = str(exc)
result["observability"] = [m for m in sys.modules if "observability" in m]
print(json.dumps(result))
"""


@pytest.mark.parametrize("python_env", ["PY39", "PY313"])
def test_the_adapter_works_under_splunks_pythons_with_the_shipped_libraries(splunkd, python_env):
    python = os.environ.get(python_env)
    if not python or not os.path.exists(python):
        pytest.skip(f"{python_env} is not set to a Python interpreter")
    if not os.path.isdir(os.path.join(BUILT_LIB, "solnlib")):
        pytest.skip("the built app's lib/ is missing (run make build)")
    load_seed(splunkd, SEED)
    env = dict(os.environ, PYTHONPATH=BUILT_LIB)
    env.pop("SPLUNK_HOME", None)
    out = subprocess.run(
        [python, "-c", SHIPPED_PYTHON_CHECK, PACKAGE_BIN, splunkd.base_url, KEY],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["account"] == {"aws_access_key_id": "AKIA", "aws_secret_access_key": "S" * 400}
    assert result["role"]["external_id"] == "e"
    assert result["proxy"]["proxy_enabled"] == "0"
    assert result["level"] == "DEBUG"
    assert result["input"] == {"account": "prod", "disabled": "0"}
    assert "rejected the session key" in result["wrong_key"]
    assert result["observability"] == []
