"""Checks of the bucket's side when it has a role of its own (``bucket_iam_role``).

Organisation trails keep the queue in one account (security) and the bucket and its KMS
key in another (log archive): ``iam_role`` (or the account) reads the queue and
``bucket_iam_role`` reads the objects. These checks assume the bucket role with the
account's credentials and list the backfill bucket with it, each FAIL naming the role's
ARN and the permission it lacks; :func:`.checks.run_checks` reads the waiting object
with it too. Used by the doctor and the checks on save.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Tuple

from botocore.config import Config

from ..accounts import AccountConfig, RoleConfig
from ..aws_errors import DENIED_CODES, UNREACHABLE_CODES
from ..config import InputConfig
from ..errors import AwsCallError
from ..interfaces import ObjectStoreApi
from ..wiring import Connection, Settings
from .access import check_role
from .results import FAIL, PASS, WARN, CheckResult

__all__ = ["check_bucket_role", "check_listing", "queue_reader_named"]


def check_bucket_role(cfg: InputConfig, settings: Settings,
                      overrides: Optional[Config] = None) -> Tuple[CheckResult, Optional[Connection]]:
    """Assume ``settings.bucket_role`` with the account's credentials; on success a connection
    whose object store reads with it."""
    bucket_role = settings.bucket_role
    if bucket_role is None:
        raise ValueError("check_bucket_role: the settings name no bucket_iam_role")
    result, connection = check_role(cfg, replace(settings, role=bucket_role, bucket_role=None), overrides)
    message = f"bucket_iam_role {bucket_role.name!r}: {result.message}"
    if result.status == PASS:
        message += "; it reads the objects (S3 and KMS), the queue is read with " + (
            f"iam_role {cfg.iam_role!r}" if cfg.iam_role else "the account")
    return CheckResult(result.status, "bucket_role", message, result.code), connection


def check_listing(cfg: InputConfig, store: ObjectStoreApi, reader: str = "") -> CheckResult:
    """``s3:ListBucket`` on the backfill bucket (and prefix), as the backfill lists it (one key)."""
    bucket = cfg.backfill_bucket
    who = reader or "the role or user"
    try:
        next(iter(store.list_objects(bucket, cfg.backfill_prefix, page_size=1)), None)
    except AwsCallError as error:
        if error.code in DENIED_CODES:
            return CheckResult(FAIL, "backfill_listing", f"{who} cannot s3:ListBucket on bucket {bucket} "
                               f"({error.code}): grant s3:ListBucket on arn:aws:s3:::{bucket} in that role's policy "
                               "(and in the bucket policy when the bucket is in another account)", error.code)
        if error.code in UNREACHABLE_CODES:
            return CheckResult(WARN, "backfill_listing", f"S3 not reachable to list bucket {bucket} ({error.code}): "
                               "check s3_endpoint_url and the proxy", error.code)
        return CheckResult(FAIL, "backfill_listing", f"s3:ListBucket on bucket {bucket} failed ({error.code}): "
                           f"{error.hint or 'check backfill_bucket'}", error.code)
    return CheckResult(PASS, "backfill_listing", f"{who} may list bucket {bucket} (backfill)")


def queue_reader_named(result: CheckResult, role: Optional[RoleConfig], account: AccountConfig) -> CheckResult:
    """A queue check's FAIL or WARN, prefixed with who reads the queue (when a bucket role
    reads the objects, "the role or user" would not say which)."""
    if result.status == PASS:
        return result
    who = f"queue role {role.role_arn} (iam_role {role.name!r})" if role else f"account {account.name!r}"
    return CheckResult(result.status, result.name, f"{who}: {result.message}", result.code)
