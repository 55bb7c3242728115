"""The built input, run as splunkd runs it under Python 3.9 and 3.13, on issue 22's routing
by key (``log_type_rules``), CSV objects (RFC 4180, section 2's examples:
https://www.rfc-editor.org/rfc/rfc4180#section-2) and the two-role organisation layout
(``bucket_iam_role``, with moto's IAM enforced). Every record once, bad input named."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import time

import pytest

import sample_logs as samples
from modinput_runner import SCRIPT, RunningInput, input_xml, parse_events, pythons, validation_xml
from splunkd_standin import SplunkdStandIn

pytestmark = pytest.mark.skipif(not os.path.exists(SCRIPT), reason="built app missing: run `make build` (make test does)")

SESSION_KEY = "e2e-session-key-routing"
PYTHONS = pythons()
RULES = "\n".join([
    "# exports are CSV; alert JSON is kept as text lines; the rest is detected",
    r"^exports/.*\.csv(\.gz)?$ => csv",
    "^alerts/ => text",
])
# RFC 4180 section 2: rule 3's header, then the records of rules 1, 5, 6 and 7 (CRLF, quoted
# fields, a line break and a doubled quote inside quotes); the last record has no line break (rule 2).
RFC_CSV = (b"field_name,field_name,field_name\r\n"
           b"aaa,bbb,ccc\r\n"
           b'"aaa","b\r\nbb","ccc"\r\n'
           b'"aaa","b""bb","ccc"\r\n'
           b"zzz,yyy,xxx")
RFC_ROWS = [
    {"field_name": "aaa", "field_name_2": "bbb", "field_name_3": "ccc"},
    {"field_name": "aaa", "field_name_2": "b\r\nbb", "field_name_3": "ccc"},
    {"field_name": "aaa", "field_name_2": 'b"bb', "field_name_3": "ccc"},
    {"field_name": "zzz", "field_name_2": "yyy", "field_name_3": "xxx"},
]
# Two daily exports joined with cat, each with its BOM and header; one row with a field too
# many, one whose time is no time.
PART = "\ufefftime,user,action\r\n{rows}"
JOINED = (PART.format(rows="2024-03-01T12:00:00Z,alice,login\r\n1709294460,bob,\"logout, forced\"\r\n")
          + PART.format(rows="1709294520123,carol,login,extra\r\nyesterday,dave,login\r\n"
                             "2024-03-01T12:03:00+00:00,erin,\"said \"\"hi\"\"\"\r\n")).encode("utf-8")


def _splunkd(account_key: str, account_secret: str, roles: dict) -> SplunkdStandIn:
    standin = SplunkdStandIn(session_key=SESSION_KEY)
    standin.add_stanza("ta_sqs_s3_audit_account", "acct", fields={"aws_access_key_id": account_key},
                       encrypted={"aws_secret_access_key": account_secret})
    for name, (arn, external_id) in roles.items():
        standin.add_stanza("ta_sqs_s3_audit_iam_role", name, fields={"role_arn": arn, "session_duration": "900"},
                           encrypted={"external_id": external_id})
    standin.add_stanza("ta_sqs_s3_audit_settings", "logging", fields={"loglevel": "DEBUG"})
    return standin


@pytest.fixture
def splunkd():
    from aws_emulator import TEST_KEY_ID, TEST_SECRET

    standin = _splunkd(TEST_KEY_ID, TEST_SECRET, {})
    standin.start()
    yield standin
    standin.stop()


def _base(moto_server, feed, **extra):
    values = {"account": "acct", "sqs_queue_url": feed.queue_url, "aws_region": "us-east-1",
              "s3_endpoint_url": moto_server.endpoint, "sts_endpoint_url": moto_server.endpoint,
              "index": "main", "interval": "60", "max_workers": "2"}
    values.update(extra)
    return values


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_a_mixed_queue_is_routed_by_key_csv_rows_are_written_once_and_bad_rows_are_named(
        python, moto_server, vendor, splunkd, tmp_path):
    name = f"route-{python}-{os.getpid()}-{int(time.time()) % 10000}"
    feed = vendor.create_feed(name, name, visibility_timeout=120)
    vendor.drain(feed.queue_url)  # moto's s3:TestEvent
    trail_key = samples.cloudtrail_key(1)
    alerts = b'{"alert":"malware","user":"alice"}\n{"alert":"dlp","user":"bob"}\n'
    objects = {
        "exports/2024/03/rfc4180.csv": RFC_CSV,
        "exports/2024/03/joined.csv.gz": gzip.compress(JOINED),
        "alerts/2024/03/01/a.json": alerts,
        trail_key: samples.cloudtrail_object(samples.cloudtrail_records(5)),
    }
    for key, body in objects.items():
        vendor.put_object(feed.bucket, key, body)
    expected = 4 + 3 + 2 + 5
    values = _base(moto_server, feed, log_type_rules=RULES, csv_time_field="time")
    ckpt = str(tmp_path / "ckpt")
    proc = RunningInput(PYTHONS[python], input_xml(splunkd.base_url, SESSION_KEY, ckpt, name, values), str(tmp_path))
    proc.wait_for(lambda: proc.event_count() >= expected and vendor.depth(feed.queue_url) == 0, 90)
    # Redelivery: the same objects announced again (same ETags) while the input runs.
    for key, body in objects.items():
        vendor.put_object(feed.bucket, key, body)
    proc.wait_for(lambda: vendor.depth(feed.queue_url) == 0, 60)
    assert proc.terminate(10) < 10 and proc.proc.returncode == 0, proc.stderr
    events = parse_events(proc.stdout)
    assert len(events) == expected  # nothing written twice
    assert "objects_already_done=4" in _log(tmp_path, name)  # the redelivered notifications were read
    by_source = {}
    for event in events:
        by_source.setdefault(event["source"].split("/", 3)[3], []).append(event)

    rfc = by_source["exports/2024/03/rfc4180.csv"]
    assert {e["sourcetype"] for e in rfc} == {"sqs_s3_audit:csv"}
    assert [json.loads(e["data"]) for e in rfc] == RFC_ROWS
    assert all("\n" not in e["data"] for e in rfc)  # compact JSON: one line per event

    joined = by_source["exports/2024/03/joined.csv.gz"]
    assert [json.loads(e["data"])["user"] for e in joined] == ["alice", "bob", "erin"]
    assert [e["time"] for e in joined] == ["1709294400", "1709294460", "1709294580"]
    assert json.loads(joined[1]["data"])["action"] == "logout, forced"
    assert json.loads(joined[2]["data"])["action"] == 'said "hi"'

    text = by_source["alerts/2024/03/01/a.json"]
    assert {e["sourcetype"] for e in text} == {"sqs_s3_audit:text"}  # the rule wins over detection
    assert [e["data"] for e in text] == alerts.decode().split("\n")[:2]
    assert {e["sourcetype"] for e in by_source[trail_key]} == {"aws:cloudtrail"}  # no rule: auto

    assert not vendor.drain(feed.dlq_url)
    log = open(str(tmp_path / f"var/log/splunk/ta_sqs_s3_audit_{name}.log"), encoding="utf-8").read()
    bad = [line for line in log.splitlines() if "action=bad_record" in line]
    assert len(bad) == 2 and all("ERROR" in line and "joined.csv.gz" in line for line in bad)
    assert any("reason=csv_column_count" in line and "line 5:" in line for line in bad)
    assert any("reason=bad_time" in line and "yesterday" in line for line in bad)


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
@pytest.mark.parametrize("change, words", [
    ({"log_type_rules": "^a/ => json\n^b/ => csvv"}, [b"log_type_rules", b"line 2", b"csvv"]),
    ({"log_type_rules": "(a)x\\1 => csv"}, [b"log_type_rules", b"line 1", b"backreference"]),
    ({"bucket_iam_role": "no-such-role"}, [b"bucket_iam_role"]),
])
def test_validation_refuses_a_bad_rule_or_a_missing_bucket_role_naming_it(python, change, words, moto_server,
                                                                         vendor, splunkd):
    feed = vendor.create_feed(f"val22-{python}-{len(str(change))}", f"val22-{python}-{len(str(change))}",
                              notify=False)
    out = subprocess.run([PYTHONS[python], SCRIPT, "--validate-arguments"], capture_output=True, timeout=60,
                         input=validation_xml(splunkd.base_url, SESSION_KEY, "in1",
                                              _base(moto_server, feed, **change)).encode())
    assert out.returncode == 1 and b"<error><message>" in out.stdout
    for word in words:
        assert word in out.stdout, out.stdout


def _user_and_roles(vendor):
    """An IAM user that may only assume roles; a queue role (SQS only) and a bucket role
    (S3 only), each trusting that user with its own external id."""
    suffix = time.time_ns() % 10**9
    user = f"org-user-{suffix}"
    user_arn = vendor.iam.create_user(UserName=user)["User"]["Arn"]
    vendor.iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:GetCallerIdentity"], "Resource": "*"}]}))
    key = vendor.iam.create_access_key(UserName=user)["AccessKey"]
    roles = {}
    for name, actions, external_id in (("queue", ["sqs:*"], "ext-queue-1"), ("bucket", ["s3:*"], "ext-bucket-1")):
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]}
        role_name = f"org-{name}-{suffix}"
        arn = vendor.iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        vendor.iam.put_role_policy(RoleName=role_name, PolicyName="only", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
        roles[name] = (arn, external_id)
    return key, roles


@pytest.mark.parametrize("python", sorted(PYTHONS), ids=sorted(PYTHONS))
def test_an_organisation_trail_is_read_with_the_queue_role_and_the_bucket_role(python, moto_server, vendor,
                                                                                 tmp_path):
    name = f"org-{python}-{os.getpid()}-{int(time.time()) % 10000}"
    feed = vendor.create_feed(name, name, visibility_timeout=120)
    vendor.drain(feed.queue_url)
    trail_key = samples.cloudtrail_key(1, org="o-exampleorgid")
    vendor.put_object(feed.bucket, trail_key, samples.cloudtrail_object(samples.cloudtrail_records(6)))
    vendor.put_object(feed.bucket, "exports/rfc4180.csv", RFC_CSV)
    key, roles = _user_and_roles(vendor)
    standin = _splunkd(key["AccessKeyId"], key["SecretAccessKey"], roles)
    standin.start()
    try:
        values = _base(moto_server, feed, iam_role="queue", bucket_iam_role="bucket", cloudtrail_digests="skip",
                       log_type_rules=r"\.csv$ => csv")
        with moto_server.iam_enforced():  # the user may only assume; each role only its own service
            proc = RunningInput(PYTHONS[python], input_xml(standin.base_url, SESSION_KEY, str(tmp_path / "ckpt"),
                                                           name, values), str(tmp_path))
            proc.wait_for(lambda: proc.event_count() >= 10 and _log(tmp_path, name).count("action=object_done") >= 2,
                          90)
        proc.wait_for(lambda: vendor.depth(feed.queue_url) == 0, 60)
        assert proc.terminate(10) < 10 and proc.proc.returncode == 0, proc.stderr
    finally:
        standin.stop()
    events = parse_events(proc.stdout)
    assert len(events) == 10
    assert sorted(e["sourcetype"] for e in events) == ["aws:cloudtrail"] * 6 + ["sqs_s3_audit:csv"] * 4
    log = _log(tmp_path, name)
    assert roles["bucket"][0] in log and roles["queue"][0] in log  # both roles named at start
    assert "ERROR" not in log
    for secret in (key["SecretAccessKey"], "ext-queue-1", "ext-bucket-1"):
        assert secret not in log and secret not in proc.stderr and secret.encode() not in proc.stdout


def _log(tmp_path, name) -> str:
    path = str(tmp_path / f"var/log/splunk/ta_sqs_s3_audit_{name}.log")
    return open(path, encoding="utf-8").read() if os.path.exists(path) else ""


def _checkpoint_positions(journal) -> list:
    found = []
    for line in open(journal, encoding="utf-8"):
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by the kill
        if "n" in entry:
            found.append(int(entry["n"]))
    return found


@pytest.mark.parametrize("python", sorted(PYTHONS)[:1])
def test_sigkill_mid_csv_object_then_restart_resumes_by_row_with_at_most_one_window_again(
        python, moto_server, vendor, splunkd, tmp_path):
    # Every seventh row holds a quoted line break, so rows and lines differ: the restart
    # resumes at a row (a checkpoint position), not at a line.
    name = f"csvkill-{os.getpid()}-{int(time.time()) % 10000}"
    feed = vendor.create_feed(name, name, visibility_timeout=3)
    vendor.drain(feed.queue_url)
    rows = 30000
    body = "id,user,note\r\n" + "".join(
        f'{i},user{i % 50},"{"two" + chr(13) + chr(10) + "lines" if i % 7 == 0 else "one line, quoted"}"\r\n'
        for i in range(rows))
    vendor.put_object(feed.bucket, "exports/big.csv.gz", gzip.compress(body.encode()))
    xml = input_xml(splunkd.base_url, SESSION_KEY, str(tmp_path / "ckpt"), "ck",
                    _base(moto_server, feed, log_type="csv", max_workers="1"))
    first = RunningInput(PYTHONS[python], xml, str(tmp_path))
    first.wait_for(lambda: first.event_count() >= 8000, 60)
    first.kill()
    written_first = parse_events(first.stdout, closed=False)
    assert 0 < len(written_first) < rows
    positions = _checkpoint_positions(tmp_path / "ckpt" / "ck.ckpt.jsonl")
    # The header is a position but no record: the first window is the header and 1,000 rows.
    assert positions and positions[0] <= 1001 and max(b - a for a, b in zip(positions, positions[1:])) <= 1000
    second = RunningInput(PYTHONS[python], xml, str(tmp_path))
    second.wait_for(lambda: vendor.depth(feed.queue_url) == 0, 90)
    second.terminate()
    ids = [json.loads(e["data"])["id"] for e in written_first + parse_events(second.stdout)]
    assert set(ids) == {str(i) for i in range(rows)}  # nothing lost
    assert len(ids) - rows <= 1000  # at most one checkpoint window written again
    assert json.loads(written_first[7]["data"])["note"] == "two\r\nlines"
    assert "resumed_at=" in open(tmp_path / "var/log/splunk/ta_sqs_s3_audit_ck.log", encoding="utf-8").read()
