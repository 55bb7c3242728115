"""The shared checkpoint (DynamoDB) against moto server's DynamoDB over HTTP, real boto3 calls.

Two stores with different owners stand for two forwarders on one queue. A store's clock is
moved forward to let a lease run out (the conditions compare the epoch seconds the caller
sends, so a clock ahead is a holder that stopped renewing).
"""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from botocore.config import Config

from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET, free_port
from sqs_s3_audit_engine.delivery.leases import DONE, CheckpointUnavailable, LeaseLost
from sqs_s3_audit_engine.delivery.shared_checkpoint import RETENTION, SharedCheckpoint

SCOPE = "123456789012/audit-queue"


def ddb(endpoint):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=TEST_KEY_ID,
                        aws_secret_access_key=TEST_SECRET,
                        config=Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2,
                                      read_timeout=5))


def create_table(client, name):
    client.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                         "AttributeName": "expires_at"})


@pytest.fixture
def table(moto_server):
    client = ddb(moto_server.endpoint)
    name = f"ckpt-{time.time_ns() % 10**9}"
    create_table(client, name)
    yield name
    client.delete_table(TableName=name)


def store(moto_server, table, owner, **kwargs):
    kwargs.setdefault("lease_ttl", 30)
    return SharedCheckpoint(ddb(moto_server.endpoint), table=table, region=REGION, scope=SCOPE, owner=owner,
                            **kwargs)


def item(moto_server, table, oid):
    return ddb(moto_server.endpoint).get_item(TableName=table, Key={"pk": {"S": f"{SCOPE}#{oid}"}},
                                              ConsistentRead=True).get("Item")


def test_one_forwarder_holds_an_object_and_a_peer_resumes_after_its_last_stored_position(moto_server, table):
    a, b = store(moto_server, table, "A"), store(moto_server, table, "B")
    lease = a.acquire("obj1")
    assert lease is not None and lease.position == 0 and lease.owner == "A"
    assert b.acquire("obj1") is None
    a.advance("obj1", 1000)
    a.advance("obj1", 2000)
    assert b.acquire("obj1") is None and b.position("obj1") == 2000
    a.release("obj1", 2500)  # a graceful stop: position first, then the lease
    taken = b.acquire("obj1")
    assert taken is not None and taken.position == 2500
    assert item(moto_server, table, "obj1")["owner"]["S"] == "B"
    a.close(), b.close()


def test_a_lease_whose_holder_stopped_renewing_is_taken_over_and_the_old_holder_cannot_write_any_more(moto_server, table):
    a = store(moto_server, table, "A", lease_ttl=30)
    a.acquire("obj2")
    a.advance("obj2", 1000)
    later = store(moto_server, table, "B", clock=lambda: time.time() + 31)
    lease = later.acquire("obj2")
    assert lease is not None and lease.position == 1000
    with pytest.raises(LeaseLost):
        a.advance("obj2", 2000)
    later.advance("obj2", 1500)
    assert a.position("obj2") == 1500  # the old holder did not overwrite the new one's progress
    a.close(), later.close()


def test_a_finished_object_is_remembered_for_14_days_with_its_metadata_on_every_forwarder(moto_server, table):
    a, b = store(moto_server, table, "A"), store(moto_server, table, "B")
    a.acquire("obj3")
    a.advance("obj3", 1000)
    a.finish("obj3", {"sha256": "ab" * 32})
    assert b.is_done("obj3") and b.position("obj3") == DONE
    assert b.meta("obj3") == {"sha256": "ab" * 32}
    again = b.acquire("obj3")
    assert again is not None and again.done
    stored = item(moto_server, table, "obj3")
    assert "owner" not in stored and "lease_until" not in stored
    assert abs(float(stored["expires_at"]["N"]) - (time.time() + RETENTION)) < 60
    with pytest.raises(LeaseLost):  # nobody moves a finished object back
        a.advance("obj3", 2000)
    a.close(), b.close()


def test_two_forwarders_racing_for_one_object_never_both_get_it(moto_server, table):
    """Through the fault proxy, which forwards DynamoDB requests one at a time: moto applies
    concurrent conditional writes without a lock, DynamoDB applies each atomically."""
    from fault_proxy import FaultProxy

    with FaultProxy(rate=0.0, every_kind=False) as proxy:
        _race(moto_server, table, proxy.port)


def _race(moto_server, table, proxy_port):
    proxied = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=5,
                     proxies={"http": f"http://127.0.0.1:{proxy_port}"})
    stores = [SharedCheckpoint(boto3.client("dynamodb", endpoint_url=moto_server.endpoint, region_name=REGION,
                                            aws_access_key_id=TEST_KEY_ID, aws_secret_access_key=TEST_SECRET,
                                            config=proxied),
                               table=table, region=REGION, scope=SCOPE, owner=f"F{i}") for i in range(4)]
    for round_ in range(8):
        oid = f"race{round_}"
        won, gate = [], threading.Barrier(len(stores))

        def contend(s, oid=oid, won=won, gate=gate):
            gate.wait()
            if s.acquire(oid) is not None:
                won.append(s.owner)

        threads = [threading.Thread(target=contend, args=(s,)) for s in stores]
        [t.start() for t in threads]
        [t.join(30) for t in threads]
        assert len(won) == 1, won
    for s in stores:
        s.close()


def test_held_leases_are_renewed_by_a_timer_while_the_writer_is_stuck(moto_server, table):
    a = store(moto_server, table, "A", lease_ttl=3)
    a.acquire("obj4")
    first = float(item(moto_server, table, "obj4")["lease_until"]["N"])
    time.sleep(4)
    assert float(item(moto_server, table, "obj4")["lease_until"]["N"]) > first + 1
    assert store(moto_server, table, "B").acquire("obj4") is None
    a.close()
    assert "owner" not in item(moto_server, table, "obj4")  # close frees held leases for a peer at once


def test_a_missing_table_is_a_checkpoint_outage_naming_table_region_and_action_and_recovers_when_created(moto_server):
    name = f"ckpt-late-{time.time_ns() % 10**9}"
    a = store(moto_server, name, "A")
    with pytest.raises(CheckpointUnavailable) as caught:
        a.acquire("obj5")
    error = caught.value
    assert error.cause == "missing" and error.code == "ResourceNotFoundException"
    assert name in str(error) and REGION in str(error) and "dynamodb:UpdateItem" in str(error)
    assert "partition key pk" in str(error) and not a.available
    create_table(ddb(moto_server.endpoint), name)
    assert a.acquire("obj5").position == 0 and a.available
    a.close()


def test_an_unreachable_endpoint_is_an_outage_with_the_network_hint_after_a_bounded_wait(table):
    closed = SharedCheckpoint(ddb(f"http://127.0.0.1:{free_port()}"), table=table, region=REGION, scope=SCOPE,
                              owner="A", attempts=2)
    began = time.monotonic()
    with pytest.raises(CheckpointUnavailable) as caught:
        closed.position("obj6")
    assert caught.value.cause == "unreachable" and "dynamodb_endpoint_url" in caught.value.hint
    assert time.monotonic() - began < 30


def test_finishing_an_entry_again_replaces_its_metadata_as_the_integrity_state_does(moto_server, table):
    a, b = store(moto_server, table, "A"), store(moto_server, table, "B")
    a.finish("chain1", {"last": 1})
    b.finish("chain1", {"last": 2})
    assert a.meta("chain1") == {"last": 2} and a.is_done("chain1")
    a.close(), b.close()


def test_the_input_reaches_the_table_through_aws_endpoint_url_dynamodb_when_no_endpoint_is_set(
        moto_server, table, monkeypatch):
    from sqs_s3_audit_engine.aws_clients import build_clients
    from sqs_s3_audit_engine.accounts import AccountConfig, ProxyConfig
    from sqs_s3_audit_engine.config import parse_input
    from sqs_s3_audit_engine.wiring import open_checkpoint

    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_server.endpoint)
    cfg = parse_input("env", {"account": "acct", "sqs_queue_url": f"{moto_server.endpoint}/123456789012/audit-queue",
                              "aws_region": REGION, "checkpoint_store": "dynamodb", "checkpoint_table": table})
    clients = build_clients(cfg, AccountConfig("acct", TEST_KEY_ID, TEST_SECRET), None, ProxyConfig())
    shared = open_checkpoint(cfg, "/nonexistent", clients)
    assert clients.dynamodb.meta.endpoint_url == moto_server.endpoint
    assert shared.acquire("env1").position == 0
    assert item(moto_server, table, "env1")["owner"]["S"] == shared.owner  # same scope as SCOPE: account/queue
    shared.close()
