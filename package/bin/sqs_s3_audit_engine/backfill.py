"""Backfill: objects already in the bucket that no notification will announce.

Vendors keep about 30 days of logs. A backfill lists ``s3://<bucket>/<prefix>`` and reads
every object modified on or after the start date through the one-object path
(:mod:`.ingest`: same decoders, same per-object lock, same checkpoint), so an object that a
live notification also names is written exactly once, whichever comes first.

Progress (the last key finished) is kept in ``<checkpoint_dir>/<input>.backfill.json`` so a
restart continues the listing where it stopped; a finished backfill is not run again for
the same bucket, prefix and start date. Listing needs ``s3:ListBucket``; when it is
missing the backfill says so and stops, while live collection goes on.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from typing import Callable, Optional


from .errors import AwsCallError, ObjectError, StopRequested
from .metrics import kv
from .notification_types import ObjectRef
from .interfaces import ObjectStoreApi

__all__ = ["Backfill"]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class Backfill:
    """Lists and ingests one bucket prefix since a start time.

    Args:
        store: the input's object store (:class:`.aws.ObjectStore`: its listing).
        ingest: the one-object path, ``Ingest.read_object`` (:mod:`.ingest`; raises ObjectError /
            AwsCallError).
        wants_key: the input's key filter.
        bucket, prefix: what to list.
        start_epoch: objects modified before this are left alone.
        state_dir, input_name: where progress is kept.
    """

    def __init__(self, store: ObjectStoreApi, ingest: Callable[[ObjectRef], None], *,
                 wants_key: Callable[[str], bool], bucket: str, prefix: str, start_epoch: float, state_dir: str,
                 input_name: str, log: logging.Logger):
        self.store, self.ingest, self.wants_key = store, ingest, wants_key
        self.bucket, self.prefix, self.start_epoch = bucket, prefix, start_epoch
        self.log = log
        self.state_path = os.path.join(state_dir, _SAFE.sub("_", input_name) + ".backfill.json")
        self.identity = {"bucket": bucket, "prefix": prefix, "start": start_epoch}
        self.objects = 0

    def _load(self) -> dict:
        try:
            with open(self.state_path, encoding="utf-8") as handle:
                state = json.load(handle)
        except (OSError, ValueError):
            return {}
        return state if state.get("identity") == self.identity else {}

    def _save(self, state: dict) -> None:
        state["identity"] = self.identity
        tmp = self.state_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
        os.replace(tmp, self.state_path)

    def run(self, stop: Optional[threading.Event] = None) -> bool:
        """Ingest every wanted object; True when the backfill is complete."""
        stop = stop or threading.Event()
        state = self._load()
        if state.get("done"):
            self.log.info(kv(action="backfill_already_done", bucket=self.bucket, prefix=self.prefix or None))
            return True
        self.log.info(kv(action="backfill_started", bucket=self.bucket, prefix=self.prefix or None,
                         start_after=state.get("after")))
        failed = 0
        try:
            for entry in self.store.list_objects(self.bucket, self.prefix, state.get("after") or ""):
                if stop.is_set():
                    return False
                key = entry["Key"]
                modified = entry.get("LastModified")
                if modified is not None and modified.timestamp() < self.start_epoch:
                    continue
                if not self.wants_key(key):
                    continue
                ref = ObjectRef(bucket=self.bucket, key=key, etag=str(entry.get("ETag", "")).strip('"'),
                                size=entry.get("Size"))
                try:
                    self.ingest(ref)
                    self.objects += 1
                except StopRequested:
                    return False
                except (ObjectError, AwsCallError) as exc:
                    failed += 1
                    reason = exc.reason if isinstance(exc, ObjectError) else exc.code
                    self.log.error(kv(action="backfill_object_failed", bucket=self.bucket, key=key,
                                      reason=reason, detail=str(exc)))
                state["after"] = key
                self._save(state)
        except AwsCallError as error:  # s3:ListBucket (each object's failure is handled above)
            self.log.error(kv(action="backfill_failed", bucket=self.bucket, reason=error.code, detail=str(error)))
            return False
        state["done"] = True
        self._save(state)
        self.log.info(kv(action="backfill_done", bucket=self.bucket, prefix=self.prefix or None,
                         objects=self.objects, failed=failed))
        return True
