"""Checks of the shared checkpoint table (``checkpoint_store = dynamodb``), for the doctor and saves.

Three results, each naming the table ARN and, when it fails, the action to grant:

- ``checkpoint_table``: ``dynamodb:DescribeTable``; the table exists, is active and has
  the partition key ``pk`` (String) and no sort key;
- ``checkpoint_ttl``: TTL enabled on ``expires_at`` (WARN otherwise: finished objects are
  never removed, the table only grows); reading it needs ``dynamodb:DescribeTimeToLive``,
  which the input itself does not need, so a denial is a WARN too;
- ``checkpoint_access``: a harmless probe item (its own key, expiring within an hour) is
  put, read, updated and deleted: ``dynamodb:PutItem``, ``GetItem``, ``UpdateItem`` and
  ``DeleteItem``; every denied action is named.
"""

from __future__ import annotations

import time
import uuid
from typing import List, Optional

from botocore.config import Config

from ..aws import AWS_ERRORS, wrap_error
from ..aws_clients import AwsClients
from ..aws_errors import DENIED_CODES
from ..config import InputConfig
from ..delivery.shared_checkpoint import table_arn
from .results import FAIL, PASS, WARN, CheckResult

__all__ = ["check_checkpoint_table", "DENIED", "MISSING"]

DENIED = DENIED_CODES  # moto answers 403 with a body botocore cannot parse: code "403"
MISSING = frozenset({"ResourceNotFoundException"})
_CREATE = ("create it with partition key pk (String), on-demand capacity and TTL on expires_at "
           "(README: Shared checkpoint), or correct checkpoint_table and aws_region")


def _account(clients: AwsClients, cfg: InputConfig, config: Optional[Config]) -> str:
    try:
        sts = clients.session.client("sts", endpoint_url=cfg.sts_endpoint_url or None, config=config)
        return sts.get_caller_identity()["Account"]
    except AWS_ERRORS:
        return "<account id>"


def _code(exc: BaseException) -> str:
    return wrap_error("dynamodb", exc).code


def check_checkpoint_table(cfg: InputConfig, clients: AwsClients, config: Optional[Config] = None) -> list:
    """The table's results (see the module), or [] when the input keeps local checkpoints."""
    if cfg.checkpoint_store != "dynamodb" or clients.dynamodb is None:
        return []
    client, table = clients.dynamodb, cfg.checkpoint_table
    arn = table_arn(table, cfg.region, _account(clients, cfg, config))
    try:
        described = client.describe_table(TableName=table)["Table"]
    except AWS_ERRORS as exc:
        code = _code(exc)
        if code in MISSING:
            message = f"{arn} does not exist in {cfg.region} ({code}): {_CREATE}"
        elif code in DENIED:
            message = (f"dynamodb:DescribeTable denied on {arn} ({code}): grant dynamodb:DescribeTable, GetItem, "
                       "PutItem, UpdateItem and DeleteItem on it to the role or user")
        else:
            message = (f"{arn} not reachable ({code}): check dynamodb_endpoint_url, the proxy and the network path "
                       "to DynamoDB")
        return [CheckResult(FAIL, "checkpoint_table", message, code)]
    arn = described.get("TableArn") or arn
    keys = {k["AttributeName"]: k["KeyType"] for k in described.get("KeySchema", [])}
    types = {a["AttributeName"]: a["AttributeType"] for a in described.get("AttributeDefinitions", [])}
    if keys != {"pk": "HASH"} or types.get("pk") != "S":
        schema = ", ".join(f"{name} {kind} {types.get(name, '?')}" for name, kind in keys.items())
        return [CheckResult(FAIL, "checkpoint_table", f"{arn} has the key schema [{schema}]: the checkpoint needs a "
                                                      "table whose only key is the partition key pk (String); "
                                                      "create a new table for it", "ValidationException")]
    results = [CheckResult(PASS, "checkpoint_table",
                           f"{arn} exists ({described.get('TableStatus', '?')}, partition key pk)")]
    results.append(_ttl(client, table, arn))
    results.append(_access(client, table, arn, cfg.checkpoint_scope))
    return results


def _ttl(client, table: str, arn: str):
    try:
        ttl = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    except AWS_ERRORS as exc:
        return CheckResult(WARN, "checkpoint_ttl", f"TTL of {arn} not checked: dynamodb:DescribeTimeToLive denied "
                                                   f"({_code(exc)}); the input does not need it, grant it to the "
                                                   "role or user to let the doctor check TTL", _code(exc))
    status, attribute = ttl.get("TimeToLiveStatus", "DISABLED"), ttl.get("AttributeName", "")
    if status in ("ENABLED", "ENABLING") and attribute == "expires_at":
        return CheckResult(PASS, "checkpoint_ttl", f"TTL {status.lower()} on expires_at")
    now = f"on {attribute}" if attribute else "off"
    return CheckResult(WARN, "checkpoint_ttl", f"TTL of {arn} is {now}: finished objects are never removed and the "
                                               "table only grows; run aws dynamodb update-time-to-live --table-name "
                                               f"{table} --time-to-live-specification "
                                               "Enabled=true,AttributeName=expires_at")


def _access(client, table: str, arn: str, scope: str):
    key = {"pk": {"S": f"{scope}#doctor-probe-{uuid.uuid4().hex[:12]}"}}
    expires = {"N": str(int(time.time()) + 3600)}
    calls = [
        ("dynamodb:PutItem", lambda: client.put_item(TableName=table, Item={**key, "expires_at": expires})),
        ("dynamodb:GetItem", lambda: client.get_item(TableName=table, Key=key, ConsistentRead=True)),
        ("dynamodb:UpdateItem", lambda: client.update_item(
            TableName=table, Key=key, UpdateExpression="SET #e = :e", ExpressionAttributeNames={"#e": "expires_at"},
            ExpressionAttributeValues={":e": expires})),
        ("dynamodb:DeleteItem", lambda: client.delete_item(TableName=table, Key=key)),
    ]
    denied: List[str] = []
    other = denied_code = code = ""
    for action, call in calls:
        try:
            call()
        except AWS_ERRORS as exc:
            code = _code(exc)
            if code in DENIED:
                denied.append(action)
                denied_code = code
            elif not other:
                other = f"{action} failed ({code})"
    if denied:
        return CheckResult(FAIL, "checkpoint_access", f"{', '.join(denied)} denied on {arn}: grant "
                                                      f"{', '.join(denied)} on {arn} to the role or user",
                           denied_code)
    if other:
        return CheckResult(FAIL, "checkpoint_access", f"{other} on {arn}: check dynamodb_endpoint_url, the proxy "
                                                      "and the table's capacity", code)
    return CheckResult(PASS, "checkpoint_access", "dynamodb:PutItem, GetItem, UpdateItem and DeleteItem allowed "
                                                  "(probe item written and removed)")
