"""Role sessions refresh themselves ahead of expiry, with the external id, on a fake clock.

moto never expires credentials, so the clock is faked: the RefreshableCredentials that
``build_session`` builds get a clock the test moves, and moto's STS answers (through a
spy on the client) expire ``DurationSeconds`` after that clock. Calls go to moto's STS.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.client import BaseClient
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError

from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET
from sqs_s3_audit_engine.aws_clients import botocore_config, build_session
from sqs_s3_audit_engine.accounts import AccountConfig, ProxyConfig, RoleConfig
from sqs_s3_audit_engine.errors import AwsCallError

EXTERNAL_ID = "unit-external-id-93b1"


class FakeSts:
    """A clock, and a spy on AssumeRole calls that dates their expiry on that clock."""

    def __init__(self, monkeypatch):
        self.now = datetime.now(timezone.utc)
        self.calls = []
        self.fail = False
        real = BaseClient._make_api_call
        spy = self

        def make_api_call(client, operation, params):
            if operation != "AssumeRole":
                return real(client, operation, params)
            spy.calls.append(dict(params))
            if spy.fail:
                raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "STS is down"},
                                   "ResponseMetadata": {"HTTPStatusCode": 503}}, operation)
            response = real(client, operation, params)
            response["Credentials"]["Expiration"] = spy.now + timedelta(seconds=params["DurationSeconds"])
            return response

        monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)

    def clock(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def sts(monkeypatch):
    return FakeSts(monkeypatch)


def role_session(vendor, moto_server, sts, duration: int):
    role_arn = vendor.create_role(f"Unit{duration}x{time.time_ns() % 10**8}", EXTERNAL_ID, max_session=43200)
    session = build_session(AccountConfig("acct", TEST_KEY_ID, TEST_SECRET),
                            RoleConfig("reader", role_arn, EXTERNAL_ID, duration), REGION,
                            botocore_config(ProxyConfig()), moto_server.endpoint, "splunk-sqs-s3-audit-unit")
    credentials = session._session.get_credentials()
    assert isinstance(credentials, RefreshableCredentials)
    credentials._time_fetcher = sts.clock
    return role_arn, session, credentials


@pytest.mark.parametrize("duration", [900, 3600, 43200])
def test_refresh_windows_open_well_before_the_session_expires(duration, vendor, moto_server, sts):
    _, _, credentials = role_session(vendor, moto_server, sts, duration)
    advisory, mandatory = credentials._advisory_refresh_timeout, credentials._mandatory_refresh_timeout
    assert 0 < mandatory < advisory < duration
    assert advisory <= 15 * 60 and mandatory >= 60  # refreshed minutes ahead, never at the last second
    assert sts.calls[0]["DurationSeconds"] == duration


def test_a_900_second_session_is_renewed_by_assume_role_with_the_external_id_before_it_expires(
        vendor, moto_server, sts):
    role_arn, session, credentials = role_session(vendor, moto_server, sts, 900)
    assert len(sts.calls) == 1
    first = credentials.get_frozen_credentials()
    sqs = session.client("sqs", endpoint_url=moto_server.endpoint, region_name=REGION)

    sts.advance(900 - credentials._advisory_refresh_timeout - 5)  # just before the advisory window
    sqs.list_queues()
    assert len(sts.calls) == 1 and credentials.get_frozen_credentials() == first

    sts.advance(10)  # inside it: the next signed call renews first
    sqs.list_queues()
    assert len(sts.calls) == 2
    renewed = credentials.get_frozen_credentials()
    assert renewed.access_key != first.access_key and renewed.token != first.token
    assert sts.calls[1] == sts.calls[0] == {"RoleArn": role_arn, "RoleSessionName": "splunk-sqs-s3-audit-unit",
                                             "DurationSeconds": 900, "ExternalId": EXTERNAL_ID}

    sts.advance(400)  # past the first session's expiry: the calls run on the renewed one
    sqs.list_queues()
    assert len(sts.calls) == 2 and credentials.get_frozen_credentials() == renewed

    for _ in range(3):  # session after session: one AssumeRole each, always with the external id
        sts.now = credentials._expiry_time - timedelta(seconds=credentials._advisory_refresh_timeout - 1)
        sqs.list_queues()
        sqs.list_queues()
    assert len(sts.calls) == 5 and all(call["ExternalId"] == EXTERNAL_ID for call in sts.calls)


def test_sts_down_in_the_advisory_window_keeps_the_current_session_and_the_mandatory_window_says_why(
        vendor, moto_server, sts):
    _, session, credentials = role_session(vendor, moto_server, sts, 900)
    first = credentials.get_frozen_credentials()
    sqs = session.client("sqs", endpoint_url=moto_server.endpoint, region_name=REGION)
    sts.fail = True
    sts.advance(900 - credentials._advisory_refresh_timeout + 10)
    sqs.list_queues()  # still valid for minutes: the failed renewal costs nothing
    assert credentials.get_frozen_credentials() == first and len(sts.calls) >= 2

    sts.advance(credentials._advisory_refresh_timeout - credentials._mandatory_refresh_timeout)
    with pytest.raises(AwsCallError) as caught:  # about to expire: the failure names STS and the role
        sqs.list_queues()
    assert caught.value.call == "sts:AssumeRole" and caught.value.code == "ServiceUnavailable"
    assert caught.value.retryable

    sts.fail = False  # STS is back: the next call renews and succeeds
    sqs.list_queues()
    assert credentials.get_frozen_credentials().access_key != first.access_key
