"""Bad values: the message each shows in the form, whether the browser or the checks on save
refuse it, and the server checks everything the browser checks (it is the authority).

UCC shows one validation error at a time: the first field that fails, in the form's order;
the next one shows once that one is fixed (see the proxy case)."""

from __future__ import annotations

import json
import time

from aws_emulator import TEST_KEY_ID, TEST_SECRET

ACCOUNT_CONF = "ta_sqs_s3_audit_account"
SERVER_REFUSAL = "Failed to load resource: the server responded with a status of 400"


def seed_account(splunkd, name="prod", key_id=TEST_KEY_ID, secret=TEST_SECRET):
    splunkd.add_stanza(ACCOUNT_CONF, name, fields={"aws_access_key_id": key_id},
                       encrypted={"aws_secret_access_key": secret})


def new_input(ui, name: str, queue_url: str) -> None:
    ui.open("inputs")
    ui.open_dialog("Create New Input")
    ui.fill("name", name)
    ui.choose("account", "prod")
    ui.fill("sqs_queue_url", queue_url)


def test_values_the_form_refuses_show_their_message_and_send_nothing(ui, web, splunkd):
    seed_account(splunkd)
    ui.open("configuration")
    ui.open_dialog("Add")
    ui.fill("name", "half")
    ui.fill("aws_access_key_id", "not-a-key")
    ui.submit("Add")
    assert ui.form_error() == ("Access key ID must be 16 to 128 upper-case letters and digits, "
                               "e.g. AKIAIOSFODNN7EXAMPLE.")
    ui.shot("dialog-add-account-bad-key-id")
    ui.cancel()

    ui.tab("IAM Roles")
    ui.open_dialog("Add")
    ui.fill("name", "short")
    ui.fill("role_arn", "arn:aws:iam::123:role/reader")
    ui.submit("Add")
    assert ui.form_error().startswith("Role ARN must look like arn:aws:iam::123456789012:role/NAME")
    ui.shot("dialog-add-iam-role-bad-arn")
    ui.cancel()

    # one error at a time: the host first, then (once the host is right) the port
    ui.tab("Proxy")
    ui.fill("proxy_url", "http://proxy.example.com")
    ui.fill("proxy_port", "70000")
    ui.page_button("Save").click()
    ui.wait(lambda: ui.form_error(), message="no error for the proxy host")
    assert ui.form_error() == "Proxy host must be a host name or an IP address, without scheme or port."
    ui.fill("proxy_url", "proxy.example.com")
    ui.page_button("Save").click()
    ui.wait(lambda: ui.form_error().startswith("Proxy port"), message="no error for the proxy port")
    assert ui.form_error() == "Proxy port must be a whole number from 1 to 65535."
    ui.shot("configuration-proxy-bad-port")

    new_input(ui, "bad_url", "https://example.com/audit-queue")
    ui.submit("Add")
    assert ui.form_error() == ("SQS queue URL must look like https://sqs.<region>.amazonaws.com/"
                               "<12-digit account ID>/<queue name>.")
    ui.shot("dialog-add-input-bad-queue-url")
    ui.cancel()

    assert [c for c in web.calls if c.action in ("create", "edit")] == []  # the browser sent none of them
    assert ui.console_errors() == []


def test_refusals_of_the_checks_on_save_reach_the_form(ui, web, splunkd, vendor, moto_server):
    ui.open("configuration")
    ui.open_dialog("Add")
    ui.fill("name", "half")
    ui.fill("aws_access_key_id", TEST_KEY_ID)
    ui.submit("Add")
    assert ui.form_error() == ("Enter both the access key ID and the secret access key, or leave both empty "
                               "to use the host's default AWS credentials.")
    ui.shot("dialog-add-account-key-id-without-secret")
    assert [c.outcome["status"] for c in web.handler_calls("account", "create")] == [400]
    assert splunkd.stanza(ACCOUNT_CONF, "half") is None
    ui.cancel()

    # an include regex Python cannot compile: only the checks on save know
    seed_account(splunkd)
    feed = vendor.create_feed(f"ui-refuse-{time.time_ns() % 10**9}", f"ui-refuse-{time.time_ns() % 10**9}",
                              notify=False)
    new_input(ui, "bad_regex", feed.queue_url)
    ui.expand("Object filters")
    ui.fill("key_include_regex", "AWSLogs/([0-9]{12}")
    ui.expand("AWS region and endpoints")
    ui.fill("aws_region", "us-east-1")
    ui.submit("Add")
    message = ui.form_error()
    assert message.startswith("key_include_regex:") and "not a valid regular expression" in message
    ui.shot("dialog-add-input-bad-regex")
    ui.cancel()

    # a role the checks on save refuse: the account's IAM user may not assume it (moto checks policies)
    user = f"ui-no-assume-{time.time_ns() % 10**8}"
    vendor.iam.create_user(UserName=user)
    key = vendor.iam.create_access_key(UserName=user)["AccessKey"]
    seed_account(splunkd, "locked", key["AccessKeyId"], key["SecretAccessKey"])
    role_arn = vendor.create_role(f"UiLocked{time.time_ns() % 10**8}")
    splunkd.add_stanza("ta_sqs_s3_audit_iam_role", "locked_role", fields={"role_arn": role_arn})
    ui.open("inputs")
    ui.open_dialog("Create New Input")
    ui.fill("name", "no_assume")
    ui.choose("account", "locked")
    ui.choose("iam_role", "locked_role")
    ui.fill("sqs_queue_url", feed.queue_url)
    ui.expand("AWS region and endpoints")
    ui.fill("aws_region", "us-east-1")
    with moto_server.iam_enforced():
        ui.submit("Add")
    message = ui.form_error()
    assert message.startswith("iam_role:") and "AccessDenied" in message, message
    ui.shot("dialog-add-input-role-refused")
    ui.cancel()

    assert splunkd.stanza("inputs", "sqs_s3_audit://bad_regex") is None
    assert splunkd.stanza("inputs", "sqs_s3_audit://no_assume") is None
    assert ui.console_errors(allow=(SERVER_REFUSAL,)) == []


def _post(ui, path: str, form: dict) -> dict:
    """POST from the page as Splunk Web's own code would (same origin, CSRF form key), past the form."""
    script = """
        const [path, body, key, done] = arguments;
        fetch(path, {method: 'POST', credentials: 'include', body: new URLSearchParams(body),
                     headers: {'X-Splunk-Form-Key': key, 'X-Requested-With': 'XMLHttpRequest'}})
          .then(r => r.text().then(t => done({status: r.status, text: t})))
          .catch(e => done({status: 0, text: String(e)}));
    """
    return ui.driver.execute_async_script(script, path, form, ui.web.csrf)


def test_what_the_form_checks_is_checked_again_on_save(ui, splunkd, vendor):
    seed_account(splunkd)
    ui.open("configuration")
    base = "/en-US/splunkd/__raw/servicesNS/nobody/TA_sqs_s3_audit/TA_sqs_s3_audit_"
    feed = vendor.create_feed(f"ui-auth-{time.time_ns() % 10**9}", f"ui-auth-{time.time_ns() % 10**9}", notify=False)
    cases = [
        ("account", {"name": "half", "aws_access_key_id": "not-a-key", "aws_secret_access_key": TEST_SECRET}),
        ("iam_role", {"name": "short", "role_arn": "arn:aws:iam::123:role/reader"}),
        ("iam_role", {"name": "brief", "role_arn": "arn:aws:iam::123456789012:role/reader", "session_duration": "60"}),
        ("settings/proxy", {"proxy_url": "proxy.example.com", "proxy_port": "70000"}),
        ("settings/proxy", {"proxy_url": "http://proxy.example.com", "proxy_port": "3128"}),
        ("sqs_s3_audit", {"name": "bad_url", "account": "prod", "sqs_queue_url": "https://example.com/audit-queue",
                          "index": "main", "interval": "60"}),
        ("sqs_s3_audit", {"name": "bad_workers", "account": "prod", "sqs_queue_url": feed.queue_url,
                          "aws_region": "us-east-1", "index": "main", "interval": "60", "max_workers": "99"}),
    ]
    for endpoint, form in cases:
        answer = _post(ui, base + endpoint + "?output_mode=json", form)
        assert answer["status"] in (400, 500), (endpoint, form, answer)
        assert json.loads(answer["text"])["messages"][0]["text"], answer
    assert splunkd.stanza(ACCOUNT_CONF, "half") is None
    assert splunkd.stanza("ta_sqs_s3_audit_iam_role", "short") is None
    assert splunkd.stanza("ta_sqs_s3_audit_iam_role", "brief") is None
    assert splunkd.stanza("ta_sqs_s3_audit_settings", "proxy")["proxy_port"] == ""
    assert splunkd.stanza("inputs", "sqs_s3_audit://bad_url") is None
    assert splunkd.stanza("inputs", "sqs_s3_audit://bad_workers") is None
