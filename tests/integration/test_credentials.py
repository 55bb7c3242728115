"""Role credentials refresh themselves before they expire, with the external id, no failed call."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from aws_emulator import REGION, TEST_KEY_ID, TEST_SECRET
from sqs_s3_audit_engine.aws import botocore_config, build_session
from sqs_s3_audit_engine.config import AccountConfig, ProxyConfig, RoleConfig


def test_short_role_sessions_refresh_ahead_of_expiry_and_calls_keep_working(vendor, moto_server):
    role_arn = vendor.create_role(f"Refresh{time.time_ns() % 10**8}", "refresh-ext")
    session = build_session(AccountConfig("a", TEST_KEY_ID, TEST_SECRET), RoleConfig("r", role_arn, "refresh-ext", 900),
                            REGION, botocore_config(ProxyConfig()), moto_server.endpoint, "refresh-test")
    credentials = session._session.get_credentials()
    assert credentials._advisory_refresh_timeout == 300 and credentials._mandatory_refresh_timeout == 150
    first = credentials.get_frozen_credentials().access_key
    sqs = session.client("sqs", endpoint_url=moto_server.endpoint, region_name=REGION)
    sqs.list_queues()
    # Move the expiry inside the refresh window, as 13 minutes into a 15-minute session.
    credentials._expiry_time = datetime.now(timezone.utc) + timedelta(seconds=120)
    sqs.list_queues()  # succeeds: the credentials were refreshed before the call was signed
    second = credentials.get_frozen_credentials().access_key
    assert second != first
    assert credentials._expiry_time > datetime.now(timezone.utc) + timedelta(seconds=600)
