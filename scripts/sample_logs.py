"""Realistic vendor log records and object layouts, generated deterministically.

Shapes follow the documented samples in tests/fixtures/samples/ (their sources named in
README-aws-logs.md there): CloudTrail (management events,
console logins, AssumeRole, Insights), Iru Endpoint activity (API event shape),
Thrive audit (OpenTelemetry OTLP/JSON and flat OTel lines), S3 server access logs.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterator, List, Tuple

__all__ = [
    "cloudtrail_records", "cloudtrail_object", "cloudtrail_key", "cloudtrail_digest_key",
    "iru_events", "iru_key", "thrive_otlp", "thrive_flat_lines", "thrive_key",
    "access_log_lines", "epoch_of",
]

ACCOUNT = "123456789012"
START = datetime(2025, 3, 4, 16, 30, 0, tzinfo=timezone.utc)
_USERS = ["alice", "bob", "carol", "dave", "erin"]
_IPS = ["198.51.100.7", "203.0.113.25", "192.0.2.44", "198.51.100.201"]
_AGENTS = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/s3.ls",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488]",
    "Boto3/1.34.50 md/Botocore#1.34.50 ua/2.0 os/linux#6.1.0 lang/python#3.11.8",
]
_CALLS = [
    ("signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn"),
    ("sts.amazonaws.com", "AssumeRole", "AwsApiCall"),
    ("s3.amazonaws.com", "GetBucketAcl", "AwsApiCall"),
    ("iam.amazonaws.com", "CreateUser", "AwsApiCall"),
    ("ec2.amazonaws.com", "DescribeInstances", "AwsApiCall"),
    ("s3.amazonaws.com", "PutBucketPolicy", "AwsApiCall"),
    ("kms.amazonaws.com", "Decrypt", "AwsApiCall"),
]


def _iso(ts: datetime, micros: bool = False) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micros else "%Y-%m-%dT%H:%M:%SZ")


def epoch_of(ts: str) -> str:
    """The epoch text the add-on must write for an ISO time from these generators."""
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in ts else "%Y-%m-%dT%H:%M:%SZ"
    dt = datetime.strptime(ts, fmt).replace(tzinfo=timezone.utc)
    seconds = int(dt.timestamp())
    return f"{seconds}.{dt.microsecond:06d}" if dt.microsecond else str(seconds)


def cloudtrail_records(count: int, seed: int = 1, start: datetime = START, region: str = "us-east-1") -> List[dict]:
    """CloudTrail records of 1-2 KB: logins, role assumptions, reads and changes."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        source, name, etype = _CALLS[rng.randrange(len(_CALLS))]
        user = _USERS[rng.randrange(len(_USERS))]
        ts = start + timedelta(seconds=i % 300, milliseconds=0)
        record: Dict[str, object] = {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser", "principalId": f"AIDA{rng.randrange(10**15):015d}",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "accountId": ACCOUNT,
                "accessKeyId": f"AKIA{rng.randrange(10**15):015d}X", "userName": user,
                "sessionContext": {"attributes": {"creationDate": _iso(ts - timedelta(hours=1)), "mfaAuthenticated": "true"}},
            },
            "eventTime": _iso(ts),
            "eventSource": source,
            "eventName": name,
            "awsRegion": region,
            "sourceIPAddress": _IPS[rng.randrange(len(_IPS))],
            "userAgent": _AGENTS[rng.randrange(len(_AGENTS))],
            "requestParameters": {"bucketName": f"corp-data-{rng.randrange(40)}", "Host": "s3.amazonaws.com", "acl": ""},
            "responseElements": None,
            "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                    "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
                                    "x-amz-id-2": uuid.UUID(int=rng.getrandbits(128)).hex * 2, "bytesTransferredOut": 112},
            "requestID": uuid.UUID(int=rng.getrandbits(128)).hex[:16].upper(),
            "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
            "readOnly": name.startswith(("Get", "Describe", "Decrypt")),
            "resources": [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::corp-data-{i % 40}"}],
            "eventType": etype,
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
            "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                           "clientProvidedHostHeader": f"corp-data-{i % 40}.s3.us-east-1.amazonaws.com"},
        }
        if name == "ConsoleLogin":
            record["responseElements"] = {"ConsoleLogin": "Failure" if rng.random() < 0.2 else "Success"}
            record["additionalEventData"] = {"LoginTo": "https://console.aws.amazon.com/console/home",
                                             "MobileVersion": "No", "MFAUsed": "Yes"}
        elif name == "AssumeRole":
            record["requestParameters"] = {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/ThriveAuditAccess",
                                           "roleSessionName": f"splunk-{user}", "externalId": "****", "durationSeconds": 3600}
        out.append(record)
    return out


def cloudtrail_object(records: List[dict]) -> bytes:
    """A CloudTrail log file: gzipped compact ``{"Records":[...]}``."""
    return gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode())


def cloudtrail_key(index: int, region: str = "us-east-1", org: str = "", prefix: str = "") -> str:
    ts = START + timedelta(minutes=5 * index)
    org_part = f"{org}/" if org else ""
    return (f"{prefix}AWSLogs/{org_part}{ACCOUNT}/CloudTrail/{region}/{ts:%Y/%m/%d}/"
            f"{ACCOUNT}_CloudTrail_{region}_{ts:%Y%m%dT%H%MZ}_{uuid.UUID(int=index).hex[:16]}.json.gz")


def cloudtrail_digest_key(index: int, region: str = "us-east-1") -> str:
    ts = START + timedelta(hours=index)
    return (f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{region}/{ts:%Y/%m/%d}/"
            f"{ACCOUNT}_CloudTrail-Digest_{region}_trail_{region}_{ts:%Y%m%dT%H%M%SZ}.json.gz")


def iru_events(count: int, seed: int = 2) -> List[dict]:
    """Iru Endpoint (Kandji) audit events in the API shape, people and system actors."""
    rng = random.Random(seed)
    actions = ["create", "update", "delete", "assign", "login"]
    targets = ["blueprint", "device", "library_item", "user", "auto_app"]
    out = []
    for i in range(count):
        system = rng.random() < 0.25
        ts = START + timedelta(seconds=i * 7, microseconds=rng.randrange(10**6))
        event = {
            "id": f"01JNGZ{rng.randrange(36**20):020X}"[:26],
            "action": actions[rng.randrange(len(actions))],
            "occurred_at": _iso(ts, micros=True),
            "actor_id": "EDR" if system else str(uuid.UUID(int=rng.getrandbits(128))),
            "actor_type": "kandji" if system else "user",
            "target_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "target_type": targets[rng.randrange(len(targets))],
            "target_component": "" if rng.random() < 0.5 else "settings",
            "new_state": {"description": "", "type": "map", "name": f"audit_event_{i}"},
            "metadata": {"source_id": None, "source": None},
        }
        if rng.random() < 0.3:
            del event["metadata"]
        out.append(event)
    return out


def iru_key(hour: int) -> str:
    ts = START + timedelta(hours=hour)
    return f"iru/activity/{ts:%Y/%m/%d/%H}/activity-{ts:%Y%m%dT%H}0000Z.jsonl.gz"


_THRIVE_EVENTS = [
    ("user.login", "success", 9, "INFO"), ("user.login", "failure", 13, "WARN"),
    ("user.profile.updated", "success", 9, "INFO"), ("config.sso.changed", "success", 9, "INFO"),
    ("user.logout", "success", 9, "INFO"), ("content.published", "success", 9, "INFO"),
]


def _thrive_record(i: int, rng: random.Random) -> dict:
    name, outcome, sev, sev_text = _THRIVE_EVENTS[rng.randrange(len(_THRIVE_EVENTS))]
    ts = START + timedelta(seconds=i * 3, microseconds=rng.randrange(10**6))
    nanos = int(ts.timestamp()) * 10**9 + ts.microsecond * 1000 + rng.randrange(1000)
    user = _USERS[rng.randrange(len(_USERS))]
    return {
        "timeUnixNano": str(nanos),
        "observedTimeUnixNano": str(nanos + 1_500_000),
        "severityNumber": sev,
        "severityText": sev_text,
        "body": {"stringValue": f"{name} {outcome} for {user}@example.com"},
        "attributes": [
            {"key": "event.name", "value": {"stringValue": name}},
            {"key": "event.outcome", "value": {"stringValue": outcome}},
            {"key": "user.id", "value": {"stringValue": str(uuid.UUID(int=rng.getrandbits(128)))}},
            {"key": "user.email", "value": {"stringValue": f"{user}@example.com"}},
            {"key": "client.address", "value": {"stringValue": _IPS[rng.randrange(len(_IPS))]}},
            {"key": "user_agent.original", "value": {"stringValue": _AGENTS[1]}},
            {"key": "tenant.id", "value": {"stringValue": "acme-learning"}},
        ],
        "traceId": uuid.UUID(int=rng.getrandbits(128)).hex,
        "spanId": uuid.UUID(int=rng.getrandbits(128)).hex[:16],
    }


def thrive_otlp(count: int, seed: int = 3) -> dict:
    """An OTLP/JSON logs export as Thrive describes: resourceLogs -> scopeLogs -> logRecords."""
    rng = random.Random(seed)
    return {"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "thrive-platform"}},
            {"key": "deployment.environment", "value": {"stringValue": "production"}},
            {"key": "cloud.region", "value": {"stringValue": "eu-west-2"}},
        ]},
        "scopeLogs": [{"scope": {"name": "thrive.audit", "version": "1.4.0"},
                       "logRecords": [_thrive_record(i, rng) for i in range(count)]}],
        "schemaUrl": "https://opentelemetry.io/schemas/1.24.0",
    }]}


def thrive_flat_lines(count: int, seed: int = 4) -> List[dict]:
    rng = random.Random(seed)
    return [_thrive_record(i, rng) for i in range(count)]


def thrive_key(index: int) -> str:
    ts = START + timedelta(minutes=15 * index)
    return f"thrive/audit/{ts:%Y/%m/%d}/audit-{ts:%Y%m%dT%H%M}Z-{uuid.UUID(int=index + 7).hex[:8]}.json.gz"


def access_log_lines(count: int, seed: int = 5) -> List[Tuple[str, str]]:
    """(line, epoch text) pairs of S3 server access log records."""
    rng = random.Random(seed)
    owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    out = []
    for i in range(count):
        ts = START + timedelta(seconds=i * 11)
        when = ts.strftime("%d/%b/%Y:%H:%M:%S +0000")
        op, method = rng.choice([("REST.GET.OBJECT", "GET"), ("REST.PUT.OBJECT", "PUT"), ("REST.GET.BUCKET", "GET")])
        key = f"reports/2025/q{i % 4 + 1} summary.pdf".replace(" ", "%20")
        status = rng.choice(["200", "200", "200", "403", "404"])
        line = (f'{owner} corp-data [{when}] {_IPS[i % len(_IPS)]} arn:aws:iam::{ACCOUNT}:user/{_USERS[i % 5]} '
                f'{uuid.UUID(int=rng.getrandbits(128)).hex[:16].upper()} {op} {key} "{method} /corp-data/{key} HTTP/1.1" '
                f'{status} {"-" if status == "200" else "AccessDenied"} {rng.randrange(100000)} {rng.randrange(100000)} '
                f'{rng.randrange(200)} {rng.randrange(100)} "-" "{_AGENTS[i % len(_AGENTS)]}" - '
                f'{uuid.UUID(int=rng.getrandbits(128)).hex} SigV4 TLS_AES_128_GCM_SHA256 AuthHeader '
                f'corp-data.s3.us-east-1.amazonaws.com TLSv1.3 - -')
        out.append((line, str(int(ts.timestamp()))))
    return out


def iter_big_cloudtrail(total_records: int, seed: int = 9) -> Iterator[bytes]:
    """A huge CloudTrail document, produced piece by piece (for memory tests)."""
    yield b'{"Records":['
    done = 0
    while done < total_records:
        batch = cloudtrail_records(min(1000, total_records - done), seed=seed + done)
        text = ",".join(json.dumps(r, separators=(",", ":")) for r in batch)
        yield (("," if done else "") + text).encode()
        done += len(batch)
    yield b"]}"
