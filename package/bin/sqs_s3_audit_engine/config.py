"""Input parameters, parsed and validated (accounts, roles and the proxy: :mod:`.accounts`).

Every check raises :class:`ConfigError` naming the parameter as the admin sees it in
Splunk Web, so ``--validate-arguments`` and the run itself report the same message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple
from urllib.parse import urlparse

from . import logtypes
from .buckets import bucket_allowed, parse_allowed_buckets
from .endpoints import refuse_plain_http
from .key_filter import KeyFilter, compile_key_filter
from .errors import ConfigError
from .key_rules import Rule, parse_rules, route
from .params import int_param, is_true, url_param

__all__ = [
    "LOG_TYPES",
    "DIGEST_MODES",
    "InputConfig",
    "parse_queue_url",
    "queue_base_url",
    "parse_input",
    "CHECKPOINT_STORES",
]

#: ``log_type`` values: ``auto`` and every selectable type of the log-type table.
LOG_TYPES = ("auto",) + logtypes.names()

#: ``cloudtrail_digests``: check CloudTrail digest files (one ``aws:cloudtrail:digest`` event
#: each) or skip them. Either way they are never written as log records, so no key is
#: excluded by default.
DIGEST_MODES = ("validate", "skip")

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}(\.fifo)?$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
# sqs.us-east-1.amazonaws.com, us-east-1.queue.amazonaws.com (legacy),
# sqs-fips.us-gov-west-1.amazonaws.com, vpce-...sqs.eu-west-1.vpce.amazonaws.com, .com.cn
_REGION_IN_HOST = re.compile(
    r"(?:^|\.)(?:sqs(?:-fips)?\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.(?:queue\.|vpce\.)?amazonaws\.com(?:\.cn)?$"
)
_LEGACY_REGION_HOST = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.amazonaws\.com(?:\.cn)?$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
# DynamoDB table names: 3-255 characters of letters, digits, underscore, hyphen and dot.
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
CHECKPOINT_STORES = ("local", "dynamodb")


@dataclass(frozen=True)
class InputConfig:
    """One ``sqs_s3_audit://<name>`` stanza, validated."""

    name: str
    account: str
    sqs_queue_url: str
    region: str
    iam_role: str = ""
    log_type: str = "auto"
    log_type_rules: Tuple[Rule, ...] = ()  # (regex, log type): the first match decides
    csv_time_field: str = ""
    bucket_iam_role: str = ""  # a second role for S3 and KMS; iam_role (or the account) reads the queue
    key_include_regex: Optional[KeyFilter] = None  # matched in time linear in the key (key_filter)
    key_exclude_regex: Optional[KeyFilter] = None
    allowed_buckets: Tuple[str, ...] = ()  # bucket name patterns; empty: any bucket
    sqs_batch_size: int = 10
    sqs_endpoint_url: str = ""
    s3_endpoint_url: str = ""
    sts_endpoint_url: str = ""
    index: str = ""
    sourcetype: str = ""
    host: str = ""
    max_workers: int = 8
    validate_sns_signature: bool = False
    backfill_bucket: str = ""
    backfill_prefix: str = ""
    backfill_start: Optional[float] = None  # epoch seconds
    cloudtrail_digests: str = "validate"
    cloudtrail_digest_grace: int = 900  # seconds a listed log file not read yet is waited for
    checkpoint_store: str = "local"  # or "dynamodb": shared by every forwarder of the queue
    checkpoint_table: str = ""
    dynamodb_endpoint_url: str = ""

    @property
    def checkpoint_scope(self) -> str:
        """What forwarders of one queue share in the table: ``<account id>/<queue name>``."""
        _, account, queue = parse_queue_url(self.sqs_queue_url)
        return f"{account}/{queue}"

    def log_type_for(self, key: str) -> str:
        """The log type of the object at ``key``: the first ``log_type_rules`` rule that
        matches it, else ``log_type`` (``auto`` included)."""
        return route(self.log_type_rules, key, self.log_type) if self.log_type_rules else self.log_type

    @property
    def reader_options(self) -> Dict[str, str]:
        """The parameters log types read per object (``csv_time_field``)."""
        return {"csv_time_field": self.csv_time_field}

    def wants_key(self, key: str) -> bool:
        """True when ``key`` passes the include and exclude regexes."""
        if self.key_include_regex is not None and not self.key_include_regex.search(key):
            return False
        if self.key_exclude_regex is not None and self.key_exclude_regex.search(key):
            return False
        return True


def queue_base_url(url: str) -> str:
    """``scheme://host[:port]`` of a queue URL: the endpoint its queues share."""
    parsed = urlparse((url or "").strip())
    return f"{parsed.scheme}://{parsed.netloc}"


def parse_queue_url(url: str) -> tuple[str, str, str]:
    """Split an SQS queue URL into (region or "", account id, queue name).

    Raises:
        ConfigError: naming ``sqs_queue_url`` when the URL is not a queue URL.
    """
    url = (url or "").strip()
    if not url:
        raise ConfigError("sqs_queue_url", "is required (e.g. https://sqs.us-east-1.amazonaws.com/123456789012/audit-queue)")
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ConfigError(
            "sqs_queue_url",
            f"{url!r} is not a queue URL: expected https://sqs.<region>.amazonaws.com/<account id>/<queue name>",
        )
    refuse_plain_http("sqs_queue_url", url)
    parts = [p for p in parsed.path.split("/") if p]
    if len(parts) != 2 or not _ACCOUNT_ID.match(parts[0]) or not _QUEUE_NAME.match(parts[1]):
        raise ConfigError(
            "sqs_queue_url",
            f"{url!r} is not a queue URL: the path must be /<12-digit account id>/<queue name>",
        )
    host = parsed.hostname or ""
    match = _REGION_IN_HOST.search(host) or _LEGACY_REGION_HOST.match(host)
    region = match.group("region") if match else ""
    return region, parts[0], parts[1]


def parse_input(name: str, params: Mapping[str, str]) -> InputConfig:
    """Validate one input stanza's parameters.

    Args:
        name: the stanza name without the ``sqs_s3_audit://`` prefix.
        params: the stanza's parameters as strings.

    Raises:
        ConfigError: the first invalid parameter, named.
    """
    if name.startswith("sqs_s3_audit://"):
        name = name[len("sqs_s3_audit://"):]
    account = (params.get("account") or "").strip()
    if not account:
        raise ConfigError("account", "is required: choose an account from the Configuration page")
    queue_url = (params.get("sqs_queue_url") or "").strip()
    url_region, _, _ = parse_queue_url(queue_url)
    region = (params.get("aws_region") or "").strip()
    if region and not _REGION.match(region):
        raise ConfigError("aws_region", f"{region!r} is not an AWS region name (e.g. us-east-1)")
    region = region or url_region
    if not region:
        raise ConfigError(
            "aws_region",
            f"is required because the queue URL {queue_url!r} does not name a region",
        )
    log_type = (params.get("log_type") or "auto").strip() or "auto"
    if log_type not in LOG_TYPES:
        raise ConfigError("log_type", f"{log_type!r} is not one of {', '.join(LOG_TYPES)}")
    rules = parse_rules(params.get("log_type_rules") or "", LOG_TYPES)
    csv_time_field = (params.get("csv_time_field") or "").strip()
    if len(csv_time_field) > 256:
        raise ConfigError("csv_time_field", "is longer than 256 characters: name one column of the CSV header")
    include = compile_key_filter(params.get("key_include_regex") or "", "key_include_regex")
    exclude = compile_key_filter(params.get("key_exclude_regex") or "", "key_exclude_regex")
    allowed = parse_allowed_buckets(params.get("allowed_buckets") or "")
    digests = (params.get("cloudtrail_digests") or "validate").strip().lower() or "validate"
    if digests not in DIGEST_MODES:
        raise ConfigError("cloudtrail_digests", f"{digests!r} is not one of {', '.join(DIGEST_MODES)}")
    return InputConfig(
        name=name,
        account=account,
        sqs_queue_url=queue_url,
        region=region,
        iam_role=(params.get("iam_role") or "").strip(),
        bucket_iam_role=(params.get("bucket_iam_role") or "").strip(),
        log_type=log_type,
        log_type_rules=rules,
        csv_time_field=csv_time_field,
        key_include_regex=include,
        key_exclude_regex=exclude,
        allowed_buckets=allowed,
        sqs_batch_size=int_param(params, "sqs_batch_size", 10, 1, 10),
        sqs_endpoint_url=url_param(params, "sqs_endpoint_url"),
        s3_endpoint_url=url_param(params, "s3_endpoint_url"),
        sts_endpoint_url=url_param(params, "sts_endpoint_url"),
        index=(params.get("index") or "").strip(),
        sourcetype=(params.get("sourcetype") or "").strip(),
        host=(params.get("host") or "").strip(),
        max_workers=int_param(params, "max_workers", 8, 1, 64),
        validate_sns_signature=is_true(params.get("validate_sns_signature")),
        cloudtrail_digests=digests,
        cloudtrail_digest_grace=int_param(params, "cloudtrail_digest_grace", 900, 0, 86400),
        **_backfill_params(params, allowed),
        **_checkpoint_params(params),
    )


def _checkpoint_params(params: Mapping[str, str]) -> dict:
    """``checkpoint_store`` (local | dynamodb), with ``checkpoint_table`` required for dynamodb."""
    store = (params.get("checkpoint_store") or "local").strip().lower() or "local"
    if store not in CHECKPOINT_STORES:
        raise ConfigError("checkpoint_store", f"{store!r} is not one of {', '.join(CHECKPOINT_STORES)}")
    table = (params.get("checkpoint_table") or "").strip()
    if store == "dynamodb" and not table:
        raise ConfigError("checkpoint_table", "is required when checkpoint_store is dynamodb: the name of the "
                                              "DynamoDB table (partition key pk, String; TTL attribute expires_at)")
    if table and not _TABLE_NAME.match(table):
        raise ConfigError("checkpoint_table", f"{table!r} is not a DynamoDB table name (3-255 letters, digits, "
                                              "'_', '-' or '.')")
    return {"checkpoint_store": store, "checkpoint_table": table if store == "dynamodb" else "",
            "dynamodb_endpoint_url": url_param(params, "dynamodb_endpoint_url")}


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def _backfill_params(params: Mapping[str, str], allowed: Tuple[str, ...] = ()) -> dict:
    """``backfill_bucket`` + ``backfill_start_date`` turn a backfill on; both or neither."""
    from .timestamps import iso8601_to_epoch

    bucket = (params.get("backfill_bucket") or "").strip()
    start = (params.get("backfill_start_date") or "").strip()
    if not bucket and not start:
        return {}
    if not bucket:
        raise ConfigError("backfill_bucket", "is required when backfill_start_date is set")
    if not _BUCKET.match(bucket):
        raise ConfigError("backfill_bucket", f"{bucket!r} is not an S3 bucket name")
    if not bucket_allowed(allowed, bucket):
        raise ConfigError("backfill_bucket", f"{bucket!r} is not in allowed_buckets ({','.join(allowed)}): add it "
                                             "there, or backfill a bucket the input reads")
    if not start:
        raise ConfigError("backfill_start_date", "is required when backfill_bucket is set (e.g. 2025-03-01)")
    epoch = iso8601_to_epoch(start if "T" in start or " " in start else start + "T00:00:00Z")
    if epoch is None:
        raise ConfigError("backfill_start_date", f"{start!r} is not a date (YYYY-MM-DD or ISO 8601)")
    return {"backfill_bucket": bucket, "backfill_prefix": (params.get("backfill_prefix") or "").strip(),
            "backfill_start": epoch}


