"""The DynamoDB side of the shared checkpoint: the item's attributes, their values, and what
an error answer means.

:mod:`.shared_checkpoint` writes one item per object (attributes listed there) with
``UpdateItem`` expressions whose placeholders (``#p``, ``#o``...) name the attributes below.
Numbers travel as ``{"N": "<decimal>"}`` (DynamoDB's "Data type descriptors",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html).
An error answer becomes a :class:`.leases.CheckpointUnavailable` whose ``cause`` decides what
the caller does (``throttled``, ``unreachable`` and ``error`` are retried) and whose ``hint``
tells the admin what to do (DynamoDB's "Error handling",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from typing import Dict, Tuple

from botocore.exceptions import ClientError

from ..arns import arn
from ..aws_errors import DENIED_CODES, REJECTED_KEY_CODES, RETRYABLE_CODES
from .leases import CheckpointUnavailable

__all__ = ["NAMES", "ConditionFailed", "table_arn", "number", "names", "error_of", "unavailable", "owner_id"]

#: expression placeholder -> attribute
NAMES = {"#p": "pos", "#o": "owner", "#u": "lease_until", "#e": "expires_at", "#t": "updated", "#m": "meta"}
# Denials (and keys refused) name an action to grant; a throttled table is retried, then waited for.
_DENIED = DENIED_CODES | REJECTED_KEY_CODES | frozenset({
    "InvalidSignatureException", "ExpiredTokenException", "MissingAuthenticationTokenException"})
_THROTTLED = RETRYABLE_CODES
#: the error code of a conditional write whose condition did not hold
CONDITION_FAILED = "ConditionalCheckFailedException"
#: causes worth another try
RETRIED_CAUSES = ("throttled", "unreachable", "error")


class ConditionFailed(Exception):
    """A conditional write found the item in another state (another holder, a later position)."""


def table_arn(table: str, region: str, account: str = "<account id>") -> str:
    return arn("dynamodb", region, account, f"table/{table}")


def owner_id(label: str) -> str:
    """The ``owner`` attribute this forwarder writes: host, process, ``label`` and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{label}:{uuid.uuid4().hex[:8]}"


def number(value: float) -> Dict[str, str]:
    """A DynamoDB number value (floats to the millisecond)."""
    return {"N": str(round(value, 3)) if isinstance(value, float) else str(value)}


def names(*placeholders: str) -> Dict[str, str]:
    """``ExpressionAttributeNames`` for these placeholders (each once)."""
    return {name: NAMES[name] for name in dict.fromkeys(placeholders)}


def error_of(exc: ClientError) -> Tuple[str, str, int]:
    """(code, message, HTTP status) of an error answer."""
    error = exc.response.get("Error", {})
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return str(error.get("Code") or "ClientError"), str(error.get("Message") or exc), status


def unavailable(table: str, region: str, where: str, action: str, code: str, detail: str,
                status: int) -> CheckpointUnavailable:
    """What an error answer (``code``, ``detail``, HTTP ``status``; 0 without an answer) to
    ``action`` on the table at ARN ``where`` means, and what the admin can do about it."""
    inner = re.search(r"<Code>([^<]+)</Code>", detail) if code.isdigit() else None
    if inner:  # a bare status with an XML error body (a proxy, an emulator): the code is inside
        message = re.search(r"<Message>([^<]+)</Message>", detail)
        code, detail = inner.group(1), message.group(1) if message else detail
    detail = " ".join(detail.split())  # one log line
    if code == "ResourceNotFoundException":
        cause = "missing"
        hint = (f"create the table {table} in {region} (partition key pk, String; TTL attribute "
                "expires_at), or correct checkpoint_table and aws_region")
    elif code in _DENIED or status == 403:
        cause = "denied"
        hint = f"grant {action} on {where} to the input's role or user"
    elif code in _THROTTLED and status < 500:
        cause = "throttled"
        hint = f"the table is throttled: use on-demand capacity for {table} or raise its write capacity"
    elif status >= 500 or code.endswith("Error") and status == 0:
        cause = "unreachable" if status == 0 else "error"
        hint = "check dynamodb_endpoint_url, the proxy and the network path to DynamoDB"
    else:
        cause = "invalid"
        hint = f"check that {table} has the partition key pk (String) and no sort key"
    return CheckpointUnavailable(table=table, region=region, action=action, code=code, cause=cause,
                                 detail=detail[:300], hint=hint)
