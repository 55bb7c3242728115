"""The one place an input's parts are built and wired together.

:func:`connect` turns a validated input and its account, roles and proxy into its AWS
side (:class:`Connection`: the clients, the queue and the object store); :func:`build_input`
adds the checkpoint, the delivery stage, the digest intake, the SNS signature check, the
collector and the backfill. The modular input, the tests and the bench build their inputs
with :func:`build_input`; the doctor's checks and the checks on save connect with
:func:`connect`, so the clients they check are the ones splunkd's input runs with.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

from botocore.config import Config

from .aws import Identity, ObjectStore, Queue
from .aws_clients import AwsClients, botocore_config, build_clients, build_session, cloudtrail_client, sts_client
from .backfill import Backfill
from .collector import Collector
from .ingest import WholeObjectHandler
from .accounts import AccountConfig, ProxyConfig, RoleConfig
from .config import InputConfig
from .delivery.batches import Delivery, EventSink
from .delivery.checkpoint import Checkpoint
from .delivery.dynamodb_table import CheckpointTable
from .delivery.leases import LocalLeases
from .delivery.shared_checkpoint import SharedCheckpoint
from .integrity.intake import build_intake
from .metrics import Metrics, kv

__all__ = ["Connection", "InputParts", "Settings", "account_identity", "build_input", "connect", "open_checkpoint"]


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
class Connection:
    """An input's AWS side: its clients, and the queue and object store (the Protocols of
    :mod:`.interfaces`) built on them. ``store`` reads with ``bucket_iam_role`` when set."""

    cfg: InputConfig
    settings: Settings
    clients: AwsClients
    queue: Queue = field(init=False)
    store: ObjectStore = field(init=False)

    def __post_init__(self) -> None:
        self.queue = Queue(self.clients.sqs, self.cfg.sqs_queue_url)
        self.store = ObjectStore(self.clients.s3)

    def identity(self) -> Identity:
        """``sts:GetCallerIdentity`` of the queue's identity (``iam_role`` or the account)."""
        return Identity(sts_client(self.clients.session, self.cfg.sts_endpoint_url, self.clients.config))

    def checkpoint_table(self) -> Optional[CheckpointTable]:
        """The shared checkpoint table (``checkpoint_store = dynamodb``), else None."""
        if self.clients.dynamodb is None:
            return None
        return CheckpointTable(self.clients.dynamodb, self.cfg.checkpoint_table)

    def cloudtrail(self, region: str, overrides: Optional[Config] = None):
        """A ``cloudtrail`` client (``ListPublicKeys``) of the queue's identity in ``region``."""
        return cloudtrail_client(self.clients.session, region, self.settings.proxy, overrides)


def connect(cfg: InputConfig, settings: Settings, *, overrides: Optional[Config] = None) -> Connection:
    """The input's AWS side, its roles assumed (``overrides``: timeouts and retries over every
    client's, as the checks on save use to answer within seconds).

    Raises:
        AwsCallError: a role could not be assumed (``sts:AssumeRole``).
        ConfigError: the proxy cannot be used.
    """
    clients = build_clients(cfg, settings.account, settings.role, settings.proxy, settings.bucket_role,
                            overrides=overrides)
    return Connection(cfg, settings, clients)


def account_identity(account: AccountConfig, *, region: str, proxy: ProxyConfig, sts_endpoint_url: str = "",
                     overrides: Optional[Config] = None) -> Identity:
    """``sts:GetCallerIdentity`` of the account's own keys (or the host's default chain), no
    role assumed: the credentials check, which needs no input (an account saved in Splunk Web)."""
    config = botocore_config(proxy)
    if overrides is not None:
        config = config.merge(overrides)
    return Identity(sts_client(build_session(account, None, region, config), sts_endpoint_url, config))


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
    aws = connect(cfg, settings) if clients is None else Connection(cfg, settings, clients)
    clients, queue, store = aws.clients, aws.queue, aws.store
    if checkpoint is None:  # not ``or``: an empty journal has len() 0
        checkpoint = open_checkpoint(cfg, checkpoint_dir, clients, fsync=fsync, log=log)
    if isinstance(checkpoint, Checkpoint):
        checkpoint = LocalLeases(checkpoint)  # a journal handed in (tests, bench): leases in memory
    delivery = Delivery(sink, checkpoint, stop=stop or threading.Event())
    digests = build_intake(cfg, cloudtrail_for=aws.cloudtrail,
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
