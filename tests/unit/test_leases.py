"""The lease part of the checkpoint interface on the local journal (one process)."""

from __future__ import annotations

from sqs_s3_audit_engine.delivery.checkpoint import Checkpoint
from sqs_s3_audit_engine.delivery.leases import DONE, LocalLeases


def test_the_local_journal_grants_its_owner_a_lease_at_the_stored_position_and_refuses_another_owner(tmp_path):
    store = LocalLeases(Checkpoint(str(tmp_path), "in", fsync=False), owner="me")
    lease = store.acquire("o1")
    assert lease is not None and lease.position == 0 and not lease.done
    assert store.acquire("o1", owner="someone-else") is None
    store.release("o1", 2000)  # position stored first, then the lease freed
    again = store.acquire("o1", owner="someone-else")
    assert again is not None and again.position == 2000
    store.finish("o1")
    assert store.is_done("o1") and store.acquire("o1").done and store.position("o1") == DONE
    store.close()


def test_a_local_lease_that_ran_out_can_be_taken_by_another_owner(tmp_path):
    store = LocalLeases(Checkpoint(str(tmp_path), "in", fsync=False), owner="me", ttl=0.01)
    assert store.acquire("o2") is not None
    import time

    time.sleep(0.05)
    assert store.acquire("o2", owner="other") is not None
    store.close()
