"""What the engine talks to, as interfaces: the queue, the object store, the checkpoint.

Every caller goes through these (the collector, the one-object path, backfill, the fates,
the visibility keeper, the queue watch), so a test double or a second backend is one class.
The AWS implementations are :class:`.aws.Queue` and :class:`.aws.ObjectStore`; the
checkpoints are :class:`.delivery.leases.LocalLeases` (the local journal) and
:class:`.delivery.shared_checkpoint.SharedCheckpoint` (DynamoDB). Errors are
:class:`.errors.AwsCallError` (``retryable`` decided once, see :mod:`.retry`).
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Protocol

from .aws import BatchFailure
from .delivery.leases import LeasedCheckpoint

__all__ = ["QueueApi", "ObjectStoreApi", "LeasedCheckpoint"]


class QueueApi(Protocol):
    """An SQS queue (:class:`.aws.Queue`)."""

    url: str

    def receive(self, max_messages: int, wait_seconds: int, visibility_timeout: Optional[int] = None) -> List[dict]:
        """``ReceiveMessage``: up to ``max_messages`` messages, long-polling ``wait_seconds``."""

    def change_visibility(self, receipt_handle: str, seconds: int) -> None:
        """``ChangeMessageVisibility`` of one message."""

    def delete_batch(self, receipts: Dict[str, str]) -> Dict[str, BatchFailure]:
        """``DeleteMessageBatch`` of up to 10 ``{entry id: receipt}``; the failed entries."""

    def change_visibility_batch(self, receipts: Dict[str, str], seconds: int) -> Dict[str, BatchFailure]:
        """``ChangeMessageVisibilityBatch`` of up to 10 entries; the failed entries."""

    def attributes(self, names: List[str]) -> Dict[str, str]:
        """``GetQueueAttributes``."""

    def sibling(self, url: str) -> "QueueApi":
        """Another queue on the same connection (the dead-letter queue)."""


class ObjectStoreApi(Protocol):
    """An S3 bucket reader (:class:`.aws.ObjectStore`), possibly with a role of its own."""

    def get(self, bucket: str, key: str, version_id: str = "") -> dict:
        """``GetObject``: the response, its ``Body`` a stream read in chunks."""

    def head(self, bucket: str, key: str) -> dict:
        """``HeadObject``: the object's metadata (``VersionId``, ``ETag``), no body."""

    def list_objects(self, bucket: str, prefix: str = "", start_after: str = "",
                     page_size: Optional[int] = None) -> Iterator[dict]:
        """``ListObjectsV2`` entries in key order, ``page_size`` keys per call."""
