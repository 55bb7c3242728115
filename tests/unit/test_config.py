"""Input parameters: every bad value is refused with a message naming the parameter."""

from __future__ import annotations

import pytest

from sqs_s3_audit_engine.accounts import parse_proxy, parse_role
from sqs_s3_audit_engine.config import parse_input, parse_queue_url
from sqs_s3_audit_engine.errors import ConfigError

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/audit-queue"


def params(**overrides):
    base = {"account": "prod", "sqs_queue_url": QUEUE}
    base.update(overrides)
    return base


@pytest.mark.parametrize("url, region", [
    (QUEUE, "eu-west-1"),
    ("https://eu-west-1.queue.amazonaws.com/123456789012/q", "eu-west-1"),
    ("https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/q", "us-gov-west-1"),
    ("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q.fifo", "cn-north-1"),
    ("https://vpce-0abc-123.sqs.us-east-2.vpce.amazonaws.com/123456789012/q", "us-east-2"),
    ("http://127.0.0.1:5000/123456789012/q", ""),
])
def test_queue_urls_give_their_region(url, region):
    assert parse_queue_url(url)[0] == region


@pytest.mark.parametrize("url", ["", "sqs.us-east-1.amazonaws.com/1/q", "https://sqs.us-east-1.amazonaws.com/q",
                                 "https://sqs.us-east-1.amazonaws.com/12345/q", "ftp://x/123456789012/q",
                                 "https://sqs.us-east-1.amazonaws.com/123456789012/bad name"])
def test_malformed_queue_urls_are_refused_naming_sqs_queue_url(url):
    with pytest.raises(ConfigError) as info:
        parse_input("in", params(sqs_queue_url=url))
    assert info.value.parameter == "sqs_queue_url"


def test_region_defaults_to_the_queue_url_and_can_be_overridden():
    assert parse_input("in", params()).region == "eu-west-1"
    assert parse_input("in", params(aws_region="us-east-1")).region == "us-east-1"


def test_a_custom_endpoint_queue_needs_an_explicit_region():
    with pytest.raises(ConfigError) as info:
        parse_input("in", params(sqs_queue_url="http://127.0.0.1:5000/123456789012/q"))
    assert info.value.parameter == "aws_region"


@pytest.mark.parametrize("name, value", [
    ("key_include_regex", "([unclosed"), ("key_exclude_regex", "*bad"), ("sqs_batch_size", "11"),
    ("sqs_batch_size", "ten"), ("log_type", "syslog"), ("max_workers", "0"), ("aws_region", "Europe"),
    ("s3_endpoint_url", "not a url"), ("account", ""),
])
def test_bad_parameters_are_named(name, value):
    with pytest.raises(ConfigError) as info:
        parse_input("in", params(**{name: value}))
    assert info.value.parameter == name
    assert str(info.value).startswith(name + ":")


def test_digests_are_read_by_default_for_validation_and_filters_apply():
    cfg = parse_input("sqs_s3_audit://in", params(key_include_regex=r"\.json\.gz$"))
    assert cfg.name == "in"
    assert cfg.wants_key("AWSLogs/1/CloudTrail/us-east-1/2024/01/01/x.json.gz")
    assert cfg.wants_key("AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/01/x.json.gz")
    assert (cfg.cloudtrail_digests, cfg.cloudtrail_digest_grace) == ("validate", 900)
    assert not cfg.wants_key("other.txt")


def test_cloudtrail_digest_parameters_are_checked():
    cfg = parse_input("in", params(cloudtrail_digests="skip", cloudtrail_digest_grace="30"))
    assert (cfg.cloudtrail_digests, cfg.cloudtrail_digest_grace) == ("skip", 30)
    with pytest.raises(ConfigError, match="^cloudtrail_digests: 'check' is not one of validate, skip"):
        parse_input("in", params(cloudtrail_digests="check"))
    with pytest.raises(ConfigError, match="^cloudtrail_digest_grace: "):
        parse_input("in", params(cloudtrail_digest_grace="-1"))


@pytest.mark.parametrize("arn", ["arn:aws:iam::123456789012:role/ThriveAccess",
                                 "arn:aws-us-gov:iam::123456789012:role/path/to/R+=,.@-",
                                 "arn:aws-cn:iam::123456789012:role/r"])
def test_role_arns_are_accepted(arn):
    assert parse_role("r", {"role_arn": arn}).role_arn == arn


@pytest.mark.parametrize("fields, parameter", [
    ({"role_arn": "arn:aws:iam::12345:role/x"}, "role_arn"),
    ({"role_arn": "arn:aws:iam::123456789012:user/x"}, "role_arn"),
    ({"role_arn": "arn:aws:iam::123456789012:role/x", "session_duration": "600"}, "session_duration"),
    ({"role_arn": "arn:aws:iam::123456789012:role/x", "external_id": "Q"}, "external_id"),
    ({"role_arn": "arn:aws:iam::123456789012:role/x", "external_id": "has space"}, "external_id"),
])
def test_bad_roles_are_named(fields, parameter):
    with pytest.raises(ConfigError) as info:
        parse_role("r", fields)
    assert info.value.parameter == parameter
    assert fields.get("external_id", "\0") not in str(info.value)  # a secret is never echoed


def test_an_external_id_as_sts_allows_it_is_kept():
    role = parse_role("r", {"role_arn": "arn:aws:iam::123456789012:role/x", "external_id": "Ab1+=,.@:/_-"})
    assert role.external_id == "Ab1+=,.@:/_-"


def test_proxy_url_carries_quoted_credentials_but_display_does_not():
    proxy = parse_proxy({"proxy_enabled": "1", "proxy_type": "http", "proxy_url": "proxy.corp",
                         "proxy_port": "3128", "proxy_username": "u@corp", "proxy_password": "p:ss/word"})
    assert proxy.url() == "http://u%40corp:p%3Ass%2Fword@proxy.corp:3128"
    assert "ss" not in proxy.display()
    assert not parse_proxy({"proxy_enabled": "0", "proxy_url": "x"}).enabled
    with pytest.raises(ConfigError):
        parse_proxy({"proxy_enabled": "true", "proxy_url": ""})


@pytest.mark.parametrize("proxy_type", ["socks5", "socks4", "SOCKS5", "https"])
def test_a_proxy_that_is_not_http_is_refused_naming_proxy_type(proxy_type):
    with pytest.raises(ConfigError, match="SOCKS proxies are not supported") as info:
        parse_proxy({"proxy_enabled": "1", "proxy_type": proxy_type, "proxy_url": "proxy.corp", "proxy_port": "1080"})
    assert info.value.parameter == "proxy_type"
    assert str(info.value).startswith("proxy_type: ")


def test_a_disabled_proxy_of_any_type_is_not_an_error():
    assert not parse_proxy({"proxy_enabled": "0", "proxy_type": "socks5", "proxy_url": "proxy.corp"}).enabled


def test_an_empty_proxy_type_means_http():
    proxy = parse_proxy({"proxy_enabled": "1", "proxy_type": "", "proxy_url": "proxy.corp", "proxy_port": "3128"})
    assert proxy.url() == "http://proxy.corp:3128" == proxy.display()


def test_backfill_needs_bucket_and_start_date_together():
    cfg = parse_input("in", params(backfill_bucket="vendor-logs", backfill_start_date="2025-03-01", backfill_prefix="AWSLogs/"))
    assert (cfg.backfill_bucket, cfg.backfill_prefix, cfg.backfill_start) == ("vendor-logs", "AWSLogs/", 1740787200.0)
    assert parse_input("in", params()).backfill_bucket == ""
    for change, parameter in (({"backfill_bucket": "vendor-logs"}, "backfill_start_date"),
                              ({"backfill_start_date": "2025-03-01"}, "backfill_bucket"),
                              ({"backfill_bucket": "Bad_Bucket", "backfill_start_date": "2025-03-01"}, "backfill_bucket"),
                              ({"backfill_bucket": "vendor-logs", "backfill_start_date": "last week"}, "backfill_start_date")):
        with pytest.raises(ConfigError) as info:
            parse_input("in", params(**change))
        assert info.value.parameter == parameter


def test_the_checkpoint_store_is_local_by_default_and_dynamodb_needs_a_valid_table_name():
    cfg = parse_input("in", params())
    assert (cfg.checkpoint_store, cfg.checkpoint_table, cfg.dynamodb_endpoint_url) == ("local", "", "")
    shared = parse_input("in", params(checkpoint_store="dynamodb", checkpoint_table="audit-ckpt.v1_x",
                                      dynamodb_endpoint_url="https://vpce-0abc.dynamodb.eu-west-1.vpce.amazonaws.com"))
    assert (shared.checkpoint_store, shared.checkpoint_table) == ("dynamodb", "audit-ckpt.v1_x")
    assert shared.dynamodb_endpoint_url.startswith("https://vpce-0abc")
    assert shared.checkpoint_scope == "123456789012/audit-queue"
    for change, parameter, words in (
            ({"checkpoint_store": "redis"}, "checkpoint_store", "local, dynamodb"),
            ({"checkpoint_store": "dynamodb"}, "checkpoint_table", "is required"),
            ({"checkpoint_store": "dynamodb", "checkpoint_table": "ab"}, "checkpoint_table", "not a DynamoDB table"),
            ({"checkpoint_store": "dynamodb", "checkpoint_table": "audit ckpt"}, "checkpoint_table", "'audit ckpt'"),
            ({"checkpoint_store": "dynamodb", "checkpoint_table": "t" * 256}, "checkpoint_table", "3-255"),
            ({"checkpoint_store": "dynamodb", "checkpoint_table": "ckpt", "dynamodb_endpoint_url": "vpce-1"},
             "dynamodb_endpoint_url", "not an endpoint URL")):
        with pytest.raises(ConfigError) as info:
            parse_input("in", params(**change))
        assert info.value.parameter == parameter and words in str(info.value)


@pytest.mark.parametrize("name", ["sqs_endpoint_url", "s3_endpoint_url", "sts_endpoint_url", "dynamodb_endpoint_url"])
@pytest.mark.parametrize("url", ["http://s3.eu-west-1.amazonaws.com", "HTTP://10.1.2.3:9000",
                                 "http://127.0.0.1.example.com", "http://[::2]:80"])
def test_plain_http_endpoints_off_loopback_are_refused_naming_the_parameter(name, url):
    # Issue 19, finding 10: credentials and object data must not travel unencrypted.
    extra = {"checkpoint_store": "dynamodb", "checkpoint_table": "ckpt"} if name.startswith("dynamodb") else {}
    with pytest.raises(ConfigError) as info:
        parse_input("in", params(**{name: url}, **extra))
    assert info.value.parameter == name and "https://" in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://127.8.9.1", "http://localhost:4566",
                                 "http://[::1]:9000", "https://s3.example.com"])
def test_https_and_loopback_http_endpoints_are_accepted(url):
    assert parse_input("in", params(s3_endpoint_url=url)).s3_endpoint_url == url


def test_a_plain_http_queue_url_off_loopback_is_refused():
    with pytest.raises(ConfigError) as info:
        parse_input("in", params(sqs_queue_url="http://sqs.eu-west-1.amazonaws.com/123456789012/q"))
    assert info.value.parameter == "sqs_queue_url"
    assert parse_input("in", params(sqs_queue_url="http://127.0.0.1:5000/123456789012/q",
                                    aws_region="us-east-1")).region == "us-east-1"


def test_allowed_buckets_are_parsed_and_the_backfill_bucket_must_be_one_of_them():
    cfg = parse_input("in", params(allowed_buckets="audit-logs, trail-*"))
    assert cfg.allowed_buckets == ("audit-logs", "trail-*")
    assert parse_input("in", params()).allowed_buckets == ()
    with pytest.raises(ConfigError) as info:
        parse_input("in", params(allowed_buckets="audit-logs,not a/bucket"))
    assert info.value.parameter == "allowed_buckets"
    with pytest.raises(ConfigError) as info:
        parse_input("in", params(allowed_buckets="audit-logs", backfill_bucket="elsewhere",
                                 backfill_start_date="2025-03-01"))
    assert info.value.parameter == "backfill_bucket" and "allowed_buckets" in str(info.value)
    assert parse_input("in", params(allowed_buckets="trail-*", backfill_bucket="trail-eu",
                                    backfill_start_date="2025-03-01")).backfill_bucket == "trail-eu"
