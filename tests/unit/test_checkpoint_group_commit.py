"""Group commit of the local journal: concurrent writers share fsyncs, each returns only
once its own line is on disk, and no reader or lease waits behind an fsync."""

from __future__ import annotations

import os
import threading
import time

import pytest

from sqs_s3_audit_engine.delivery.checkpoint import DONE, Checkpoint, object_id
from sqs_s3_audit_engine.delivery.leases import LocalLeases


class SlowDisk:
    """os.fsync that takes ``seconds`` and records how many bytes of the journal it made durable."""

    def __init__(self, monkeypatch, seconds: float = 0.02):
        self.real = os.fsync
        self.seconds = seconds
        self.durable = 0
        self.calls = 0
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail_next = False
        monkeypatch.setattr(os, "fsync", self.fsync)

    def fsync(self, fd):
        self.entered.set()
        self.gate.wait(10)
        if self.fail_next:
            self.fail_next = False
            raise OSError(5, "Input/output error")
        time.sleep(self.seconds)
        self.real(fd)
        self.calls += 1
        self.durable = max(self.durable, os.fstat(fd).st_size)


def test_concurrent_writers_share_fsyncs_and_each_returns_only_once_its_line_is_durable(tmp_path, monkeypatch):
    disk = SlowDisk(monkeypatch)
    cp = Checkpoint(str(tmp_path), "in1", fsync=True)
    writers, per_writer = 16, 5
    late = []

    def work(n: int) -> None:
        for i in range(per_writer):
            oid = object_id("bkt", f"k{n}-{i}", "e")
            cp.finish(oid)
            with open(cp.path, "rb") as handle:
                durable = handle.read(disk.durable)
            if f'"o":"{oid}"'.encode() not in durable:
                late.append(oid)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    cp.close()
    assert not late, f"returned before their line was fsynced: {late[:3]}"
    assert disk.calls <= writers * per_writer // 3, f"{disk.calls} fsyncs for {writers * per_writer} lines"
    again = Checkpoint(str(tmp_path), "in1", fsync=False)
    assert all(again.position(object_id("bkt", f"k{n}-{i}", "e")) == DONE
               for n in range(writers) for i in range(per_writer))


def test_readers_and_leases_do_not_wait_for_an_fsync_under_way(tmp_path, monkeypatch):
    disk = SlowDisk(monkeypatch, seconds=0)
    cp = Checkpoint(str(tmp_path), "in1", fsync=True)
    leases = LocalLeases(cp)
    other = object_id("bkt", "other", "e")
    cp.advance(other, 1000)
    disk.gate.clear()  # the next fsync hangs until the gate opens
    disk.entered.clear()
    writer = threading.Thread(target=cp.finish, args=(object_id("bkt", "slow", "e"),))
    writer.start()
    assert disk.entered.wait(5)
    began = time.perf_counter()
    assert cp.position(other) == 1000
    lease = leases.acquire(object_id("bkt", "fresh", "e"))
    assert lease is not None and lease.position == 0 and leases.holds(lease.oid)
    assert time.perf_counter() - began < 1.0
    disk.gate.set()
    writer.join(10)


def test_the_lease_lock_is_free_while_a_lease_waits_for_the_journal(tmp_path):
    cp = Checkpoint(str(tmp_path), "in1", fsync=False)
    leases = LocalLeases(cp)
    held = object_id("bkt", "held", "e")
    leases.acquire(held)
    with cp._lock:  # the journal busy (as during a compaction's copy)
        waiting = threading.Thread(target=leases.acquire, args=(object_id("bkt", "new", "e"),))
        waiting.start()
        time.sleep(0.05)
        answered = []
        probe = threading.Thread(target=lambda: answered.append(leases.holds(held)))
        probe.start()
        probe.join(2)
        assert answered == [True], "the lease lock waited on the journal's lock"
    waiting.join(5)


def test_a_failed_fsync_raises_to_its_writer_and_the_line_is_written_by_the_next_commit(tmp_path, monkeypatch):
    disk = SlowDisk(monkeypatch, seconds=0)
    cp = Checkpoint(str(tmp_path), "in1", fsync=True)
    first, second = object_id("bkt", "a", "e"), object_id("bkt", "b", "e")
    disk.fail_next = True
    with pytest.raises(OSError):
        cp.advance(first, 1000)
    cp.finish(second)
    cp.close()
    again = Checkpoint(str(tmp_path), "in1", fsync=False)
    assert again.position(first) == 1000 and again.position(second) == DONE


def test_the_journal_compacts_while_writers_keep_writing(tmp_path):
    cp = Checkpoint(str(tmp_path), "in1", fsync=False)

    def work(n: int) -> None:
        for i in range(400):
            cp.advance(object_id("bkt", f"k{n}", "e"), i + 1)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    cp.close()
    with open(cp.path) as handle:
        assert sum(1 for _ in handle) < 8 * 400  # compacted at least once
    again = Checkpoint(str(tmp_path), "in1", fsync=False)
    assert all(again.position(object_id("bkt", f"k{n}", "e")) == 400 for n in range(8))
