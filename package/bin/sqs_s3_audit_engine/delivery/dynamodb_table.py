"""The shared checkpoint table as its checks see it: its description, its TTL, and a probe
item that exercises each item action the checkpoint uses (:mod:`.shared_checkpoint`).

Used by the doctor's table checks (``doctor/table_checks.py``), which say what to fix;
every failure here is an :class:`..errors.AwsCallError` naming the DynamoDB action. See
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html and
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTimeToLive.html.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

from ..aws import AWS_ERRORS, wrap_error
from ..errors import AwsCallError

__all__ = ["CheckpointTable", "PROBE_ACTIONS"]

#: the item actions the checkpoint uses, in the order the probe calls them
PROBE_ACTIONS = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


class CheckpointTable:
    """One DynamoDB table, reached with the input's client (credentials, role, proxy, endpoint)."""

    def __init__(self, client: Any, table: str):
        self.client, self.table = client, table

    def _call(self, action: str, call, **kwargs) -> Dict[str, Any]:
        try:
            return call(TableName=self.table, **kwargs)
        except AWS_ERRORS as exc:
            raise wrap_error(action, exc, self.table) from None

    def describe(self) -> Dict[str, Any]:
        """``DescribeTable``: ``TableArn``, ``TableStatus``, ``KeySchema``, ``AttributeDefinitions``."""
        return self._call("dynamodb:DescribeTable", self.client.describe_table)["Table"]

    def time_to_live(self) -> Dict[str, Any]:
        """``DescribeTimeToLive``: ``TimeToLiveStatus`` and ``AttributeName``."""
        return self._call("dynamodb:DescribeTimeToLive", self.client.describe_time_to_live)["TimeToLiveDescription"]

    def probe(self, scope: str) -> List[Tuple[str, Optional[AwsCallError]]]:
        """Put, read, update and delete a harmless item of its own (key ``<scope>#doctor-probe-…``,
        expiring within the hour): each action of :data:`PROBE_ACTIONS` with its error, or None."""
        key = {"pk": {"S": f"{scope}#doctor-probe-{uuid.uuid4().hex[:12]}"}}
        expires = {"N": str(int(time.time()) + 3600)}
        calls = (
            (self.client.put_item, {"Item": {**key, "expires_at": expires}}),
            (self.client.get_item, {"Key": key, "ConsistentRead": True}),
            (self.client.update_item, {"Key": key, "UpdateExpression": "SET #e = :e",
                                       "ExpressionAttributeNames": {"#e": "expires_at"},
                                       "ExpressionAttributeValues": {":e": expires}}),
            (self.client.delete_item, {"Key": key}),
        )
        outcomes: List[Tuple[str, Optional[AwsCallError]]] = []
        for action, (call, kwargs) in zip(PROBE_ACTIONS, calls):
            try:
                self._call(action, call, **kwargs)
                outcomes.append((action, None))
            except AwsCallError as exc:
                outcomes.append((action, exc))
        return outcomes
