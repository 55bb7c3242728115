"""Drive the engine's Collector against the AWS emulator and collect what it writes."""

from __future__ import annotations

import logging
import threading
import time
from typing import List, Optional, Tuple

from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET
from sqs_s3_audit_engine.collector import Collector
from sqs_s3_audit_engine.accounts import AccountConfig, ProxyConfig, RoleConfig
from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.wiring import Settings, build_input


class CollectingSink:
    """An EventSink that keeps every event: (source, sourcetype, time, data)."""

    def __init__(self):
        self.events: List[Tuple[str, str, str, str]] = []
        self._lock = threading.Lock()

    def write(self, source, sourcetype, events):
        with self._lock:
            self.events.extend((source, sourcetype, t, d) for t, d in events)

    def by_source(self):
        out = {}
        for source, sourcetype, t, d in self.events:
            out.setdefault(source, []).append((sourcetype, t, d))
        return out


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: List[str] = []

    def emit(self, record):
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def make_collector(endpoint: str, queue_url: str, checkpoint_dir: str, sink=None, name: str = "test",
                   role: Optional[RoleConfig] = None, bucket_role: Optional[RoleConfig] = None,
                   account: Optional[AccountConfig] = None, **params):
    values = {"account": "acct", "sqs_queue_url": queue_url, "aws_region": REGION,
              "s3_endpoint_url": endpoint, "sts_endpoint_url": endpoint, "max_workers": "2"}
    values.update({k: str(v) for k, v in params.items()})
    cfg = parse_input(name, values)
    log = logging.getLogger(f"test.collector.{name}.{id(sink)}")
    log.setLevel(logging.DEBUG)
    handler = ListHandler()
    log.addHandler(handler)
    log.propagate = False
    account = account or AccountConfig("acct", TEST_KEY_ID, TEST_SECRET)
    parts = build_input(cfg, Settings(account, role, ProxyConfig(), bucket_role=bucket_role),
                        sink=sink or CollectingSink(), log=log, checkpoint_dir=checkpoint_dir,
                        wait_seconds=1, summary_interval=3600, fsync=False)
    collector = parts.collector
    collector.parts = parts
    collector.log_lines = handler.lines
    return collector


def run_until(collector: Collector, done, timeout: float = 60.0) -> None:
    """Run the collector in a thread until ``done()`` is true, then stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=collector.run, args=(stop, 3.0), daemon=True)
    thread.start()
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            if done():
                return
            time.sleep(0.2)
        raise AssertionError(f"not done within {timeout} s; log: {collector.log_lines[-20:]}")
    finally:
        stop.set()
        thread.join(10)


def drained(vendor, queue_url: str):
    """done() for run_until: the queue holds nothing, visible or in flight."""
    return lambda: vendor.depth(queue_url) == 0


def seed_splunkd(standin, role_arn: str = "", external_id: str = "", loglevel: str = "", session_duration: str = ""):
    """The configuration most tests need, stored as Splunk Web would: account ``acct`` (key id
    plus encrypted secret), role ``reader`` (encrypted external id) when a role ARN is given,
    and the log level when given."""
    standin.add_stanza("ta_sqs_s3_audit_account", "acct", fields={"aws_access_key_id": TEST_KEY_ID},
                       encrypted={"aws_secret_access_key": TEST_SECRET})
    if role_arn:
        fields = {"role_arn": role_arn}
        if session_duration:
            fields["session_duration"] = session_duration
        standin.add_stanza("ta_sqs_s3_audit_iam_role", "reader", fields=fields, encrypted={"external_id": external_id})
    if loglevel:
        standin.add_stanza("ta_sqs_s3_audit_settings", "logging", fields={"loglevel": loglevel})
    return standin
