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

from typing import List

from ..aws_errors import DENIED_CODES
from ..config import InputConfig
from ..delivery.dynamodb_table import CheckpointTable
from ..delivery.shared_checkpoint import table_arn
from ..errors import AwsCallError
from ..wiring import Connection
from .results import FAIL, PASS, WARN, CheckResult

__all__ = ["check_checkpoint_table", "DENIED", "MISSING"]

DENIED = DENIED_CODES  # moto answers 403 with a body botocore cannot parse: code "403"
MISSING = frozenset({"ResourceNotFoundException"})
_CREATE = ("create it with partition key pk (String), on-demand capacity and TTL on expires_at "
           "(README: Shared checkpoint), or correct checkpoint_table and aws_region")


def _account(connection: Connection) -> str:
    try:
        return connection.identity().caller()["Account"]
    except AwsCallError:
        return "<account id>"


def check_checkpoint_table(cfg: InputConfig, connection: Connection) -> list:
    """The table's results (see the module), or [] when the input keeps local checkpoints."""
    table = connection.checkpoint_table() if cfg.checkpoint_store == "dynamodb" else None
    if table is None:
        return []
    arn = table_arn(table.table, cfg.region, _account(connection))
    try:
        described = table.describe()
    except AwsCallError as exc:
        code = exc.code
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
    results.append(_ttl(table, arn))
    results.append(_access(table, arn, cfg.checkpoint_scope))
    return results


def _ttl(table: CheckpointTable, arn: str):
    try:
        ttl = table.time_to_live()
    except AwsCallError as exc:
        return CheckResult(WARN, "checkpoint_ttl", f"TTL of {arn} not checked: dynamodb:DescribeTimeToLive denied "
                                                   f"({exc.code}); the input does not need it, grant it to the "
                                                   "role or user to let the doctor check TTL", exc.code)
    status, attribute = ttl.get("TimeToLiveStatus", "DISABLED"), ttl.get("AttributeName", "")
    if status in ("ENABLED", "ENABLING") and attribute == "expires_at":
        return CheckResult(PASS, "checkpoint_ttl", f"TTL {status.lower()} on expires_at")
    now = f"on {attribute}" if attribute else "off"
    return CheckResult(WARN, "checkpoint_ttl", f"TTL of {arn} is {now}: finished objects are never removed and the "
                                               "table only grows; run aws dynamodb update-time-to-live --table-name "
                                               f"{table.table} --time-to-live-specification "
                                               "Enabled=true,AttributeName=expires_at")


def _access(table: CheckpointTable, arn: str, scope: str):
    denied: List[str] = []
    other = denied_code = code = ""
    for action, error in table.probe(scope):
        if error is None:
            continue
        code = error.code
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
