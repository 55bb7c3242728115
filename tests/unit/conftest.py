"""Fixtures shared by unit test modules (import paths and moto are set up in tests/conftest.py).

``standin``: the CloudTrail ListPublicKeys stand-in (tests/cloudtrail_standin.py), one per
module that asks for it. The digest validation tests (test_integrity_*.py) take
``standin_reset`` for every test with
``pytestmark = pytest.mark.usefixtures("standin_reset")``.
"""

from __future__ import annotations

import pytest

from cloudtrail_standin import CloudTrailStandin


@pytest.fixture(scope="module")
def standin():
    server = CloudTrailStandin().start()
    yield server
    server.stop()


@pytest.fixture
def standin_reset(standin, monkeypatch):
    """ListPublicKeys allowed again, its calls forgotten, and test credentials for boto3."""
    standin.deny = False
    standin.calls.clear()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
