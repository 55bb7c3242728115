"""Amazon S3 server access log knowledge objects (aws:s3:accesslogs) on AWS's documented
lines and on lines of other projects' test fixtures, through the emulation in tests/ko/."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ko import apply_transform, testing
from ko.testing import events_of


@pytest.fixture(scope="module")
def ko():
    return testing.knowledge_objects()


@pytest.fixture(scope="module")
def samples():
    return testing.samples()


@pytest.fixture(scope="module")
def processed():
    return testing.processed()


S3_EXPECTED = [
    {   # AWS documentation example, every field present
        "bucket_owner": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "bucket_name": "amzn-s3-demo-bucket1", "request_time": "06/Feb/2019:00:00:38 +0000",
        "remote_ip": "192.0.2.3", "requester": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "request_id": "3E57427F3EXAMPLE", "operation": "REST.GET.VERSIONING", "key": "-",
        "request_uri": "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1", "http_method": "GET",
        "uri_path": "/amzn-s3-demo-bucket1", "uri_query": "versioning", "http_version": "HTTP/1.1",
        "http_status": "200", "error_code": "-", "bytes_sent": "113", "object_size": "-", "total_time": "7",
        "turn_around_time": "-", "referrer": "-", "user_agent": "S3Console/0.4", "version_id": "-",
        "host_id": "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=",
        "signature_version": "SigV4", "cipher_suite": "ECDHE-RSA-AES128-GCM-SHA256",
        "authentication_type": "AuthHeader", "host_header": "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com",
        "tls_version": "TLSV1.2", "access_point_arn": "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP",
        "acl_required": "Yes",
    },
    {   # IAM requester, URL-encoded key, query string, quoted referrer and user agent with spaces
        "requester": "arn:aws:iam::111122223333:user/alice", "operation": "REST.GET.OBJECT",
        "key": "reports/2025/Q1%20summary.pdf", "http_method": "GET", "uri_path": "/reports/2025/Q1%20summary.pdf",
        "uri_query": "response-content-disposition=inline&x-id=GetObject", "http_status": "200",
        "bytes_sent": "482113", "object_size": "482113", "total_time": "57", "turn_around_time": "41",
        "referrer": "https://console.aws.amazon.com/s3/buckets/amzn-s3-demo-bucket1",
        "user_agent": "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/s3.cp",
        "version_id": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
        "tls_version": "TLSv1.3", "access_point_arn": "-", "acl_required": "-",
    },
    {   # anonymous 403, referrer with a space
        "remote_ip": "198.51.100.77", "requester": "-", "http_status": "403", "error_code": "AccessDenied",
        "object_size": "-", "referrer": "https://evil.example/landing page.html",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
        "signature_version": "-", "authentication_type": "-", "host_header": "s3.us-east-1.amazonaws.com",
    },
    {   # presigned PUT through an access point
        "requester": "arn:aws:sts::111122223333:assumed-role/DeployRole/alice-deploy", "http_method": "PUT",
        "operation": "REST.PUT.OBJECT", "bytes_sent": "-", "object_size": "10485760",
        "authentication_type": "QueryString",
        "access_point_arn": "arn:aws:s3:us-east-1:111122223333:accesspoint/amzn-s3-demo-ap", "acl_required": "-",
    },
    {   # lifecycle expiration: no request, dashes everywhere
        "remote_ip": "-", "requester": "AmazonS3", "operation": "S3.EXPIRE.OBJECT", "request_uri": "-",
        "http_status": "-", "error_code": "-", "bytes_sent": "-", "object_size": "20480", "referrer": "-",
        "user_agent": "-", "host_header": "-", "acl_required": "-",
    },
    {   # older format: the line ends after the user agent
        "operation": "REST.DELETE.OBJECT", "key": "tmp/old%2Bfile.txt", "http_method": "DELETE",
        "http_status": "404", "error_code": "NoSuchKey",
        "user_agent": "S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.210 "
                      "OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 vendor/Oracle_Corporation "
                      "cfg/retry-mode/standard",
    },
]


def test_s3_access_log_regex_extracts_the_expected_fields_from_each_sample_line(ko, samples):
    lines = [raw for name, st, raw, _ in samples if name == "s3_access.log"]
    assert len(lines) == len(S3_EXPECTED)
    transform = ko.transforms["sqs_s3_audit_s3_access_fields"]
    for raw, expected in zip(lines, S3_EXPECTED):
        fields = {"_raw": raw}
        got = apply_transform(transform, fields)
        assert got, f"no match: {raw}"
        for name, value in expected.items():
            assert got.get(name) == value, f"{name}: {got.get(name)!r} != {value!r} in {raw}"
    last = apply_transform(transform, {"_raw": lines[-1]})
    assert "version_id" not in last and "host_id" not in last
    lifecycle = apply_transform(transform, {"_raw": lines[4]})
    assert "http_method" not in lifecycle and "uri_path" not in lifecycle


def test_s3_access_log_regex_accepts_fields_aws_may_append_later(ko, samples):
    line = next(raw for name, st, raw, _ in samples if st == "aws:s3:accesslogs")
    got = apply_transform(ko.transforms["sqs_s3_audit_s3_access_fields"],
                                  {"_raw": line + " SomeFutureField"})
    assert got["acl_required"] == "Yes"


CIM_EXPECTED = {
    ("s3_access.log", 0): {
        "eventtype": ["sqs_s3_audit_s3_access"], "tag": ["web"], "src": "192.0.2.3", "http_method": "GET",
        "status": 200, "uri_path": "/amzn-s3-demo-bucket1", "uri_query": "versioning", "bytes": 113,
        "user": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "http_user_agent": "S3Console/0.4", "dest": "amzn-s3-demo-bucket1", "http_referrer": None,
        "site": "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com", "response_time": 7,
        "vendor_product": "Amazon S3 server access logs"},
    ("s3_access.log", 2): {
        "eventtype": ["sqs_s3_audit_s3_access", "sqs_s3_audit_s3_access_denied"], "tag": ["web"],
        "status": 403, "user": "anonymous", "error_code": "AccessDenied", "bytes": 243,
        "http_referrer": "https://evil.example/landing page.html"},
    ("s3_access.log", 3): {"http_method": "PUT", "bytes": 0, "status": 200, "src": "10.20.30.40"},
    ("s3_access.log", 4): {"eventtype": [], "tag": [], "src": None, "status": None, "user": "AmazonS3"},
    ("s3_access.log", 5): {"status": 404, "error_code": "NoSuchKey", "http_method": "DELETE",
                           "site": None, "user": "arn:aws:iam::111122223333:user/bob"},
}


@pytest.mark.parametrize("sample_file,index", sorted(CIM_EXPECTED))
def test_sample_event_gets_the_expected_cim_fields_eventtypes_and_tags(processed, sample_file, index):
    fields = events_of(processed, sample_file)[index]
    for name, value in CIM_EXPECTED[(sample_file, index)].items():
        got = fields.get(name)
        if isinstance(got, list) and name not in ("eventtype", "tag"):
            got = got[0] if len(got) == 1 else got
        assert got == value, f"{sample_file}[{index}] {name}: {got!r} != {value!r}"
