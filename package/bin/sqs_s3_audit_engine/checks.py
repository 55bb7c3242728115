"""Checks of one input's AWS side, each saying what to change when it does not pass.

Used by the doctor command (``bin/sqs_s3_audit_doctor.py``). Every check returns a
:class:`CheckResult`; none raises for an AWS failure, and no message carries a secret.
The object check looks at one waiting message without consuming it: it is received with
a short visibility timeout and made visible again at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import List, Optional

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .aws import AwsClients, ObjectStore, Queue, botocore_config, build_clients, wrap_error
from .collector import read_records
from .config import AccountConfig, InputConfig, ProxyConfig, RoleConfig
from .decoders import BadRecord
from .errors import AwsCallError, NotificationError, ObjectError
from .notifications import TEST_EVENT, parse_notification
from .sourcetypes import SOURCETYPES, classify

__all__ = ["CheckResult", "PASS", "WARN", "FAIL", "run_checks"]

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
MIN_VISIBILITY = 60


@dataclass(frozen=True)
class CheckResult:
    status: str
    name: str
    message: str

    def line(self) -> str:
        return f"{self.status} {self.name}: {self.message}"


def _credentials(cfg: InputConfig, account: AccountConfig, proxy: ProxyConfig) -> CheckResult:
    if account.uses_default_chain:
        session = boto3.Session(region_name=cfg.region)
        origin = "the host's default credential chain"
    else:
        session = boto3.Session(aws_access_key_id=account.access_key_id,
                                aws_secret_access_key=account.secret_access_key, region_name=cfg.region)
        origin = f"account {account.name!r}"
    try:
        sts = session.client("sts", endpoint_url=cfg.sts_endpoint_url or None, config=botocore_config(proxy))
        arn = sts.get_caller_identity()["Arn"]
    except (ClientError, BotoCoreError) as exc:
        error = wrap_error("sts:GetCallerIdentity", exc)
        fix = error.hint or "check the account's access key id and secret access key"
        return CheckResult(FAIL, "credentials", f"{origin} not accepted ({error.code}): {fix}")
    return CheckResult(PASS, "credentials", f"{origin} accepted as {arn}")


def _role(cfg: InputConfig, account: AccountConfig, role: Optional[RoleConfig],
          proxy: ProxyConfig) -> "tuple[CheckResult, Optional[AwsClients]]":
    try:
        clients = build_clients(cfg, account, role, proxy)
    except AwsCallError as exc:
        arn = role.role_arn if role else ""
        fix = (f"the trust policy of {arn} must allow the account's user to call sts:AssumeRole"
               + (" with this external id" if role and role.external_id else "")
               + "; check the role ARN and the external id in IAM Roles")
        return CheckResult(FAIL, "role", f"cannot assume {arn} ({exc.code}): {fix}"), None
    if role is None:
        return CheckResult(PASS, "role", "no IAM role: the account's credentials are used directly"), clients
    detail = f"assumed {role.role_arn} for {role.session_duration} s"
    if role.external_id:
        detail += " with the external id"
    return CheckResult(PASS, "role", detail), clients


def _queue(cfg: InputConfig, queue: Queue) -> List[CheckResult]:
    try:
        attrs = queue.attributes(["QueueArn", "VisibilityTimeout", "RedrivePolicy", "ApproximateNumberOfMessages"])
    except AwsCallError as exc:
        fix = exc.hint or "check sqs_queue_url, aws_region and sqs_endpoint_url"
        return [CheckResult(FAIL, "queue", f"{cfg.sqs_queue_url} not readable ({exc.code}): {fix}")]
    arn = attrs.get("QueueArn", cfg.sqs_queue_url)
    results = [CheckResult(PASS, "queue", f"{arn} readable, {attrs.get('ApproximateNumberOfMessages', '?')} messages waiting")]
    if attrs.get("RedrivePolicy"):
        results.append(CheckResult(PASS, "redrive_policy", "a dead-letter queue is set"))
    else:
        results.append(CheckResult(WARN, "redrive_policy",
                                   f"{arn} has no redrive policy: create a dead-letter queue and set it with "
                                   "maxReceiveCount 3-5, or messages that keep failing are retried until they expire"))
    timeout = int(attrs.get("VisibilityTimeout", 30) or 30)
    if timeout < MIN_VISIBILITY:
        results.append(CheckResult(WARN, "visibility_timeout",
                                   f"{timeout} s is short for large CloudTrail files: set the queue's visibility "
                                   f"timeout to at least {MIN_VISIBILITY} s (300 s recommended)"))
    else:
        results.append(CheckResult(PASS, "visibility_timeout", f"{timeout} s"))
    return results


def _object(cfg: InputConfig, queue: Queue, store: ObjectStore) -> CheckResult:
    try:
        messages = queue.receive(1, 1, visibility_timeout=30)
    except AwsCallError as exc:
        return CheckResult(FAIL, "object", f"cannot receive from the queue ({exc.code}): {exc.hint or exc}")
    if not messages:
        return CheckResult(PASS, "object", "no message waiting; no object to try (run again when data arrives)")
    message = messages[0]
    try:
        return _read_one(cfg, message, store)
    finally:
        try:
            queue.change_visibility(message["ReceiptHandle"], 0)  # looked at, not consumed
        except AwsCallError:
            pass  # it becomes visible again after 30 s anyway


def _read_one(cfg: InputConfig, message: dict, store: ObjectStore) -> CheckResult:
    try:
        note = parse_notification(message.get("Body", ""))
    except NotificationError as exc:
        return CheckResult(FAIL, "object", f"the waiting message is no notification the add-on understands: {exc}")
    if note.kind.endswith(TEST_EVENT):
        return CheckResult(PASS, "object", "the waiting message is an s3:TestEvent (deleted by the input, no data)")
    wanted = [ref for ref in note.objects if cfg.wants_key(ref.key)]
    if not wanted:
        return CheckResult(PASS, "object", "the waiting message names no object this input reads (filters)")
    ref = wanted[0]
    try:
        response = store.get(ref.bucket, ref.key, ref.version_id)
        records = read_records(response["Body"], ref.bucket, ref.key, cfg.log_type)
        first = list(islice(records, 1000))
    except AwsCallError as exc:
        return CheckResult(FAIL, "object", f"s3://{ref.bucket}/{ref.key} not readable ({exc.code}): "
                                           f"{exc.hint or exc}")
    except ObjectError as exc:
        return CheckResult(FAIL, "object", f"s3://{ref.bucket}/{ref.key} not decodable ({exc.reason}): {exc.detail}")
    good = [item for item in first if not isinstance(item, BadRecord)]
    if not good:
        return CheckResult(WARN, "object", f"s3://{ref.bucket}/{ref.key} read but holds no usable record")
    log_type = cfg.log_type if cfg.log_type != "auto" else classify(good[0])
    sourcetype = cfg.sourcetype or SOURCETYPES[log_type]
    return CheckResult(PASS, "object", f"s3://{ref.bucket}/{ref.key} read and decoded: {len(good)} records in the "
                                       f"first batch, sourcetype {sourcetype}")


def run_checks(cfg: InputConfig, account: AccountConfig, role: Optional[RoleConfig],
               proxy: ProxyConfig) -> List[CheckResult]:
    """All checks in order; later checks are skipped (not run) when an earlier one fails."""
    results = [_credentials(cfg, account, proxy)]
    if results[-1].status == FAIL:
        return results
    role_result, clients = _role(cfg, account, role, proxy)
    results.append(role_result)
    if clients is None:
        return results
    queue = Queue(clients.sqs, cfg.sqs_queue_url)
    queue_results = _queue(cfg, queue)
    results += queue_results
    if queue_results[0].status == FAIL:
        return results
    results.append(_object(cfg, queue, ObjectStore(clients.s3)))
    return results
