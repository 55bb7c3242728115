"""Checks of one input's AWS side, each saying what to change when it does not pass.

Used by the doctor command (``bin/sqs_s3_audit_doctor.py``) and by the checks on save
(``sqs_s3_audit_splunk.save_checks``). Every check returns a :class:`CheckResult`; none
raises for an AWS failure, and no message carries a secret (only names, ARNs, URLs,
error codes).

The object check looks at one waiting message without consuming it: it is received with
a short visibility timeout, its first wanted object is read through the input's own
events stage (:class:`.events.ObjectEvents`), and the message is made visible again at once. That receive counts
towards the queue's ``maxReceiveCount``, so the check is skipped when the redrive policy
leaves no room for it.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Dict, List, Optional, Tuple

from botocore.config import Config

from ..aws import AWS_ERRORS, wrap_error
from ..arns import arn
from ..aws_errors import DENIED_CODES, MISSING_QUEUE_CODES, UNREACHABLE_CODES
from ..config import InputConfig, parse_queue_url
from ..delivery.batches import BATCH_RECORDS
from ..errors import AwsCallError, NotificationError, ObjectError
from ..events import ObjectEvents
from ..interfaces import ObjectStoreApi, QueueApi
from ..ingest import log_type_of
from ..notifications import TEST_EVENT, parse_notification
from ..retry import CHECK_CALL_ATTEMPTS
from ..wiring import Connection, Settings
from .access import _unreachable, check_credentials, check_role
from .bucket_checks import check_bucket_role, check_listing, queue_reader_named
from .results import FAIL, PASS, WARN, CheckResult
from .table_checks import check_checkpoint_table

__all__ = [
    "CheckResult", "PASS", "WARN", "FAIL", "MIN_VISIBILITY",
    "check_credentials", "check_role", "check_queue", "check_object", "check_public_keys", "check_senders",
    "run_checks", "queue_arn",
    "max_receive_count",
]

MIN_VISIBILITY = 60  # seconds; a large CloudTrail file takes a while to download and decode
PEEK_VISIBILITY = 30  # how long the looked-at message is hidden if resetting it fails
MIN_RECEIVES_TO_PEEK = 3  # below this maxReceiveCount, one extra receive may send a message to the DLQ

def queue_arn(queue_url: str, region: str) -> str:
    """The queue's ARN as built from its URL (the partition guessed from the region)."""
    try:
        url_region, account_id, name = parse_queue_url(queue_url)
    except Exception:  # noqa: BLE001 - only used in messages
        return queue_url
    region = region or url_region
    return arn("sqs", region, account_id, name)


def check_queue(cfg: InputConfig, queue: QueueApi) -> Tuple[List[CheckResult], Dict[str, str]]:
    """``sqs:GetQueueAttributes``: the queue, then its redrive policy and visibility timeout.

    Returns the results (the queue's own first; the other two only when it passed) and the
    queue attributes read ({} when the queue is not readable).
    """
    arn = queue_arn(cfg.sqs_queue_url, cfg.region)
    try:
        attrs = queue.attributes(["QueueArn", "VisibilityTimeout", "RedrivePolicy", "ApproximateNumberOfMessages"])
    except AwsCallError as exc:
        url = cfg.sqs_queue_url
        if exc.code in MISSING_QUEUE_CODES:
            message = (f"{url} does not exist in region {cfg.region}"
                       + (f" at {cfg.sqs_endpoint_url}" if cfg.sqs_endpoint_url else "")
                       + f" ({exc.code}): check sqs_queue_url and aws_region (the queue may be in another region "
                       "or account)")
        elif exc.code in DENIED_CODES:
            message = (f"sqs:GetQueueAttributes denied on {arn} ({exc.code}): grant sqs:GetQueueAttributes, "
                       "sqs:ReceiveMessage, sqs:ChangeMessageVisibility and sqs:DeleteMessage on it to the role or "
                       "user (and allow them in the queue's access policy when the queue is in another account)")
        elif exc.code in UNREACHABLE_CODES:
            message = f"{url} not reachable ({exc.code}): " + _unreachable("AWS SQS", "sqs_endpoint_url")
        else:
            message = f"{url} not readable ({exc.code}): " + (exc.hint or "check sqs_queue_url, aws_region and "
                                                                         "sqs_endpoint_url")
        return [CheckResult(FAIL, "queue", message, exc.code)], {}
    arn = attrs.get("QueueArn") or arn
    waiting = attrs.get("ApproximateNumberOfMessages", "?")
    results = [CheckResult(PASS, "queue", f"{arn} readable (messages waiting: {waiting})")]
    results.append(_redrive_result(arn, attrs.get("RedrivePolicy", "")))
    timeout = int(attrs.get("VisibilityTimeout") or 30)
    if timeout < MIN_VISIBILITY:
        results.append(CheckResult(
            WARN, "visibility_timeout",
            f"{timeout} s on {arn} is short for large CloudTrail files: set the queue's visibility timeout to at "
            f"least {MIN_VISIBILITY} s (300 s recommended) so a message is not handed to another consumer while an "
            "object is still being fetched"))
    else:
        results.append(CheckResult(PASS, "visibility_timeout", f"{timeout} s"))
    return results, attrs


def max_receive_count(redrive_policy: str) -> Optional[int]:
    """The redrive policy's ``maxReceiveCount``, or None without a (readable) policy."""
    try:
        return int(json.loads(redrive_policy)["maxReceiveCount"])
    except (ValueError, KeyError, TypeError):
        return None


def _redrive_result(arn: str, redrive_policy: str) -> CheckResult:
    if not redrive_policy:
        return CheckResult(
            WARN, "redrive_policy",
            f"{arn} has no redrive policy: create a dead-letter queue and set it as the queue's redrive policy "
            "with maxReceiveCount 5 (SQS console > the queue > Edit > Dead-letter queue), or a message that "
            "keeps failing is retried until it expires")
    try:
        target = json.loads(redrive_policy).get("deadLetterTargetArn", "?")
    except (ValueError, AttributeError):
        target = "?"
    receives = max_receive_count(redrive_policy)
    if receives is not None and receives < MIN_RECEIVES_TO_PEEK:
        return CheckResult(
            WARN, "redrive_policy",
            f"maxReceiveCount is {receives}: one passing error (a timeout, throttling) sends a message to "
            f"{target}; set it to 3-5 in the queue's redrive policy")
    return CheckResult(PASS, "redrive_policy", f"dead-letter queue {target}, maxReceiveCount {receives}")


def check_object(cfg: InputConfig, queue: QueueApi, store: ObjectStoreApi, receives: Optional[int] = None,
                 reader: str = "") -> CheckResult:
    """Read and decode the first wanted object of one waiting message, without consuming the message.

    Args:
        receives: the queue's ``maxReceiveCount`` (None without a redrive policy); below
            :data:`MIN_RECEIVES_TO_PEEK` no message is received, as that receive would count.
        reader: who reads the object when not the queue's role or user (``bucket role <arn>``):
            a denial names it.
    """
    if receives is not None and receives < MIN_RECEIVES_TO_PEEK:
        return CheckResult(WARN, "object", f"not checked: looking at a message would use one of its {receives} "
                                           "receives before it goes to the dead-letter queue; raise maxReceiveCount "
                                           "to 3-5 and run the doctor again")
    try:
        messages = queue.receive(1, 1, visibility_timeout=PEEK_VISIBILITY)
    except AwsCallError as exc:
        return CheckResult(FAIL, "object", f"sqs:ReceiveMessage on {cfg.sqs_queue_url} failed ({exc.code}): "
                                           "grant sqs:ReceiveMessage on the queue to the role or user", exc.code)
    if not messages:
        return CheckResult(PASS, "object", "no message waiting, so no object was read (run the doctor again "
                                           "when data has arrived)")
    message = messages[0]
    result = _read_one(cfg, message, store, reader)
    try:
        queue.change_visibility(message["ReceiptHandle"], 0)  # looked at, not consumed
    except AwsCallError as exc:
        return CheckResult(FAIL, "object", f"sqs:ChangeMessageVisibility on {cfg.sqs_queue_url} failed "
                                           f"({exc.code}): grant it to the role or user; the input needs it to "
                                           f"keep a message hidden while it works (the message looked at "
                                           f"reappears within {PEEK_VISIBILITY} s). {result.line()}", exc.code)
    return result


def _read_one(cfg: InputConfig, message: dict, store: ObjectStoreApi, reader: str = "") -> CheckResult:
    try:
        note = parse_notification(message.get("Body", ""), allowed_buckets=cfg.allowed_buckets)
    except NotificationError as exc:
        return CheckResult(FAIL, "object", f"the waiting message is no notification the add-on understands: {exc}; "
                                           "send S3 event notifications (direct, through SNS or EventBridge) to "
                                           "this queue")
    if note.kind.endswith(TEST_EVENT):
        return CheckResult(PASS, "object", "the waiting message is an s3:TestEvent (the input deletes it; no data)")
    if note.unrelated:
        return CheckResult(WARN, "object", f"the waiting message names no S3 object ({note.unrelated}); the input "
                                           "deletes such messages: add a subscription filter policy to the queue's "
                                           "SNS subscription, or send the logs through a topic of their own")
    if note.records and not note.objects:
        return CheckResult(PASS, "object", f"the waiting message carries {len(note.records)} AWS Config record(s) "
                                           "itself (written as aws:config:notification); no object to read")
    wanted = [ref for ref in note.objects if cfg.wants_key(ref.key)]
    if not wanted:
        return CheckResult(PASS, "object", "the waiting message names no object this input reads "
                                           "(key_include_regex/key_exclude_regex), so none was read")
    ref = wanted[0]
    where = f"s3://{ref.bucket}/{ref.key}"
    try:
        response = store.get(ref.bucket, ref.key, ref.version_id)
    except AwsCallError as exc:
        return _unreadable(where, ref.bucket, exc, reader)
    body = response["Body"]
    log_type = log_type_of(cfg, ref)  # as the input reads it (ingest.py)
    bad: List[str] = []
    events = ObjectEvents(body, bucket=ref.bucket, key=ref.key, log_type=log_type, sourcetype=cfg.sourcetype,
                          on_bad=lambda _position, record: bad.append(record.reason), options=cfg.reader_options)
    try:
        good = len(list(islice(events, BATCH_RECORDS)))
    except AwsCallError as exc:
        return _unreadable(where, ref.bucket, exc, reader)
    except ObjectError as exc:
        return CheckResult(FAIL, "object", f"{where} not decodable ({exc.reason}): {exc.detail}; check log_type "
                                           f"(now {log_type} for this key), log_type_rules and "
                                           "key_include_regex/key_exclude_regex", exc.reason)
    except AWS_ERRORS as exc:
        return _unreadable(where, ref.bucket, wrap_error("s3:GetObject", exc, where), reader)
    finally:
        try:
            body.close()
        except Exception:  # noqa: BLE001 - closing a broken stream may fail; nothing is lost
            pass
    if events.whole_object:  # by key, input log type or content (events.py)
        title = events.log_type.title if events.log_type is not None else "whole-object"
        return CheckResult(PASS, "object", f"{where} is a {title} file (an integrity proof, no log records)")
    if not good:
        reasons = sorted(set(bad))
        return CheckResult(WARN, "object", f"{where} read but no usable record in its first {len(bad)} "
                                           f"({', '.join(reasons) or 'empty object'}): check log_type "
                                           f"(now {log_type} for this key) and log_type_rules")
    return CheckResult(PASS, "object", f"{where} read and decoded: {good} records in the first batch"
                                       + (f" ({len(bad)} bad)" if bad else "") + f", sourcetype {events.sourcetype}")


def _unreadable(where: str, bucket: str, exc: AwsCallError, reader: str = "") -> CheckResult:
    text = str(exc).lower()
    if exc.code in DENIED_CODES and reader:
        action = "kms:Decrypt" if "kms" in text else "s3:GetObject"
        target = f"the KMS key that encrypts {where}" if action == "kms:Decrypt" else f"bucket {bucket} ({where})"
        return CheckResult(FAIL, "object", f"{reader} cannot {action} on {target} ({exc.code}): grant {action} on "
                           + (f"arn:aws:s3:::{bucket}/* in that role's policy and in the bucket policy"
                              if action == "s3:GetObject" else "that key in that role's policy and the key policy"),
                           exc.code)
    if exc.code in DENIED_CODES and "kms" in text:
        fix = f"grant kms:Decrypt on the KMS key that encrypts {where} (key policy and the role's or user's policy)"
    elif exc.code in DENIED_CODES:
        fix = (f"grant s3:GetObject on arn:aws:s3:::{bucket}/* (bucket policy too when the bucket is in another "
               "account) and, when the bucket uses SSE-KMS, kms:Decrypt on its KMS key")
    elif exc.code in ("NoSuchKey", "404", "NoSuchVersion"):
        return CheckResult(WARN, "object", f"{where} no longer exists ({exc.code}): it was deleted (a lifecycle "
                                           "rule?) before it was read; the input logs and skips such objects")
    elif exc.code == "NoSuchBucket":
        fix = "the bucket does not exist (any more): check the bucket's notification configuration"
    elif exc.code in UNREACHABLE_CODES:
        fix = _unreachable("AWS S3", "s3_endpoint_url")
    else:
        fix = exc.hint or "see the AWS error code"
    return CheckResult(FAIL, "object", f"{where} not readable by s3:GetObject ({exc.code}): {fix}", exc.code)


def check_senders(cfg: InputConfig) -> CheckResult:
    """What the input accepts from whoever can send to its queue (``validate_sns_signature``,
    ``allowed_buckets``): said, not tested, so the admin sees the trust the input places."""
    signed = ("only SNS notifications whose signature verifies are accepted (every other body is left for the "
              "dead-letter queue)" if cfg.validate_sns_signature else
              "any sender that can write to the queue is trusted (validate_sns_signature is off)")
    buckets = (f"only buckets matching allowed_buckets {','.join(cfg.allowed_buckets)} are read (a notification "
               "naming another bucket is left for the dead-letter queue)" if cfg.allowed_buckets else
               "any bucket a notification names is read (allowed_buckets is empty)")
    return CheckResult(PASS, "senders", f"{signed}; {buckets}")


def run_checks(cfg: InputConfig, settings: Settings) -> List[CheckResult]:
    """All checks in order; the checks that depend on a failed one are not run.

    The input's AWS side is built as its run builds it (:func:`..wiring.connect`). With
    ``checkpoint_store = dynamodb`` the table's checks (:mod:`.table_checks`) follow the
    role's, as they need only the credentials. With a ``bucket_iam_role`` that role is
    assumed too (:mod:`.bucket_checks`) and reads the object (and lists the backfill
    bucket), so each denial names the role that lacks the permission.
    """
    account = settings.account
    results = [check_credentials(account, cfg.region, settings.proxy, cfg.sts_endpoint_url)]
    if results[-1].status == FAIL:
        return results
    role_result, connection = check_role(cfg, settings)
    results.append(role_result)
    if connection is None:
        return results
    results += check_checkpoint_table(cfg, connection)
    store: Optional[ObjectStoreApi] = connection.store
    reader = ""
    if settings.bucket_role is not None:
        bucket_result, bucket_connection = check_bucket_role(cfg, settings)
        results.append(bucket_result)
        store = bucket_connection.store if bucket_connection else None
        reader = f"bucket role {settings.bucket_role.role_arn}"
    if store is not None and cfg.backfill_bucket:
        results.append(check_listing(cfg, store, reader))
    queue_results, attrs = check_queue(cfg, connection.queue)
    if settings.bucket_role is not None:  # two identities: say which one the queue's failures are about
        queue_results = [queue_reader_named(r, settings.role, account) for r in queue_results]
    results += queue_results
    if queue_results[0].status == FAIL or store is None:
        return results
    receives = max_receive_count(attrs.get("RedrivePolicy", ""))
    results.append(check_object(cfg, connection.queue, store, receives, reader))
    if cfg.cloudtrail_digests == "validate":
        results.append(check_public_keys(cfg, connection))
    return results


# -- CloudTrail digest validation ---------------------------------------------------------
def check_public_keys(cfg: InputConfig, connection: Connection) -> CheckResult:
    """``cloudtrail:ListPublicKeys`` (digest signatures), in the input's region.

    A WARN, not a FAIL: without it digests are still checked for hashes and completeness,
    and their events say the signature was not checked.
    """
    from ..integrity.public_keys import PERMISSION

    try:
        quick = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard",
                                                                        "max_attempts": CHECK_CALL_ATTEMPTS})
        client = connection.cloudtrail(cfg.region, quick)
        keys = client.list_public_keys().get("PublicKeyList", [])
    except AWS_ERRORS as exc:
        error = wrap_error(PERMISSION, exc)
        if error.code in DENIED_CODES:
            return CheckResult(WARN, "cloudtrail_public_keys", f"{PERMISSION} denied ({error.code}): grant "
                               f"{PERMISSION} (Resource \"*\") to the input's user or role so that CloudTrail digest "
                               "signatures are checked, or set cloudtrail_digests = skip", error.code)
        return CheckResult(WARN, "cloudtrail_public_keys", f"{PERMISSION} failed ({error.code}): digest "
                           "signatures cannot be checked until it answers (endpoint: AWS_ENDPOINT_URL_CLOUDTRAIL)",
                           error.code)
    return CheckResult(PASS, "cloudtrail_public_keys", f"{PERMISSION} allowed in {cfg.region} "
                       f"({len(keys)} current key(s)): CloudTrail digest signatures are checked")
