"""The one place an input's parts are built and wired together.

:func:`build_input` turns a validated input and its account, role and proxy into AWS
clients, the queue and object-store wrappers, the checkpoint, the delivery stage and the
collector. The modular input, the doctor's checks, the tests and the bench all build their
inputs here, so what they run is what splunkd runs.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

from .aws import ObjectStore, Queue
from .aws_clients import AwsClients, build_clients, cloudtrail_client
from .backfill import Backfill
from .collector import Collector
from .ingest import WholeObjectHandler
from .accounts import AccountConfig, ProxyConfig, RoleConfig
from .config import InputConfig
from .delivery.batches import Delivery, EventSink
from .delivery.checkpoint import Checkpoint
from .delivery.leases import LocalLeases
from .delivery.shared_checkpoint import SharedCheckpoint
from .integrity.intake import build_intake
from .metrics import Metrics, kv

__all__ = ["InputParts", "Settings", "build_input", "open_checkpoint"]


@dataclass(frozen=True)
class Settings:
    """What an input needs besides its own stanza: account, role, proxy, the bucket's role
    (``bucket_iam_role``: S3 and KMS) when it differs from the queue's, and the log level.
    The one settings type: the modular input, the doctor and the tests all pass it here."""

    account: AccountConfig
    role: Optional[RoleConfig] = None
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    bucket_role: Optional[RoleConfig] = None
    level: str = "INFO"

    def secrets(self) -> tuple:
        """The values no log line, stderr line or event may show."""
        return (self.account.secret_access_key, self.role.external_id if self.role else "",
                self.bucket_role.external_id if self.bucket_role else "", self.proxy.password)


@dataclass
class InputParts:
    """An input, built: everything :func:`build_input` made, for callers that need a part."""

    cfg: InputConfig
    clients: AwsClients
    queue: Queue
    store: ObjectStore
    checkpoint: Checkpoint
    delivery: Delivery
    collector: Collector
    backfill: Optional[Backfill] = None


def open_checkpoint(cfg: InputConfig, checkpoint_dir: str, clients: Optional[AwsClients] = None,
                    fsync: bool = True, log: Optional[logging.Logger] = None):
    """The input's checkpoint: the local journal under ``checkpoint_dir`` (with in-process
    leases), or with ``checkpoint_store = dynamodb`` the table shared by every forwarder of
    the queue, reached with the input's clients (credentials, role, proxy, endpoint)."""
    if cfg.checkpoint_store == "dynamodb":
        if clients is None or clients.dynamodb is None:
            raise ValueError("the shared checkpoint needs the input's DynamoDB client")
        store = SharedCheckpoint(clients.dynamodb, table=cfg.checkpoint_table, region=cfg.region,
                                 scope=cfg.checkpoint_scope, log=log)
        if log is not None:
            log.info(kv(action="shared_checkpoint", table=cfg.checkpoint_table, region=cfg.region,
                        scope=cfg.checkpoint_scope, owner=store.owner))
        return store
    return LocalLeases(Checkpoint(checkpoint_dir, cfg.name, fsync=fsync))


def build_input(
    cfg: InputConfig,
    settings: Settings,
    *,
    sink: EventSink,
    log: logging.Logger,
    checkpoint_dir: str,
    stop: Optional[threading.Event] = None,
    clients: Optional[AwsClients] = None,
    checkpoint: Optional[Checkpoint] = None,
    metrics: Optional[Metrics] = None,
    sns_validator: Optional[Callable[[dict], None]] = None,
    whole_object_handlers: Optional[Dict[str, WholeObjectHandler]] = None,
    wait_seconds: int = 5,
    summary_interval: float = 60.0,
    fsync: bool = True,
) -> InputParts:
    """Build one input's parts: clients, queue, object store, checkpoint, delivery, the
    digest intake, the SNS signature check (``validate_sns_signature``, unless one is handed
    in), the collector and, with ``backfill_bucket``, the backfill (run by the caller).

    Raises:
        AwsCallError: the role could not be assumed (``sts:AssumeRole``).
        ConfigError: the proxy or a parameter cannot be used.
    """
    clients = clients or build_clients(cfg, settings.account, settings.role, settings.proxy, settings.bucket_role)
    queue = Queue(clients.sqs, cfg.sqs_queue_url)
    store = ObjectStore(clients.s3)
    if checkpoint is None:  # not ``or``: an empty journal has len() 0
        checkpoint = open_checkpoint(cfg, checkpoint_dir, clients, fsync=fsync, log=log)
    if isinstance(checkpoint, Checkpoint):
        checkpoint = LocalLeases(checkpoint)  # a journal handed in (tests, bench): leases in memory
    delivery = Delivery(sink, checkpoint, stop=stop or threading.Event())
    session = clients.session
    digests = build_intake(cfg, cloudtrail_for=lambda region: cloudtrail_client(session, region, settings.proxy),
                           store=store, checkpoint=checkpoint, sink=sink, log=log)
    handlers = dict(whole_object_handlers or {})
    if digests.validating:
        handlers.setdefault("cloudtrail_digest", digests.handle)
    if sns_validator is None and cfg.validate_sns_signature:
        from .sns import SnsSignatureValidator

        sns_validator = SnsSignatureValidator(proxy=settings.proxy)
    collector = Collector(
        cfg,
        queue=queue,
        store=store,
        checkpoint=checkpoint,
        delivery=delivery,
        log=log,
        metrics=metrics,
        sns_validator=sns_validator,
        whole_object_handlers=handlers,
        digests=digests,
        wait_seconds=wait_seconds,
        summary_interval=summary_interval,
    )
    backfill = None
    if cfg.backfill_bucket:
        backfill = Backfill(store, collector.ingest.read_object, wants_key=cfg.wants_key, bucket=cfg.backfill_bucket,
                            prefix=cfg.backfill_prefix, start_epoch=cfg.backfill_start or 0.0,
                            state_dir=checkpoint_dir, input_name=cfg.name, log=log)
    return InputParts(cfg, clients, queue, store, checkpoint, delivery, collector, backfill)
