"""Shared test set-up: import paths and the AWS emulator (moto server over HTTP)."""

from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, "package", "bin"), os.path.join(ROOT, "scripts"), os.path.join(ROOT, "tests")):
    if path not in sys.path:
        sys.path.insert(0, path)

BUILT_APP = os.path.join(ROOT, "output", "TA_sqs_s3_audit")


@pytest.fixture(scope="session")
def moto_server():
    """One moto server for the session; tests use their own bucket and queue names."""
    from aws_emulator import MotoServer

    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture
def vendor(moto_server):
    from aws_emulator import VendorSide

    return VendorSide(moto_server.endpoint)


@pytest.fixture(autouse=True)
def _no_input_left_running():
    """Kill any input process a test started and did not stop (a failed assertion)."""
    yield
    from modinput_runner import stop_all

    stop_all()
