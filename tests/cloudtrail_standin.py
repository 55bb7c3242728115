"""Test stand-in for CloudTrail's ``ListPublicKeys`` (moto does not implement it).

A tiny HTTP server speaking CloudTrail's JSON protocol (awsJson1.1, ``X-Amz-Target:
com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys``), so boto3's real
``cloudtrail`` client talks to it through ``AWS_ENDPOINT_URL_CLOUDTRAIL`` or an
``endpoint_url``. Keys are generated per region by the test (the ``cryptography`` package of
the dev venv) and digests signed with them (:func:`sign`), as CloudTrail does (source:
"Custom implementations of CloudTrail log file integrity validation": SHA256withRSA over
the data signing string; "PublicKey": ``Value`` is the DER encoded PKCS#1 public key).

``deny = True`` answers ``AccessDeniedException`` as AWS does for a caller without
``cloudtrail:ListPublicKeys``. ``calls`` lists the regions asked (from the request's
credential scope).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["CloudTrailStandin", "SigningKey", "sign"]

_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys"
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/cloudtrail/")


class SigningKey:
    """One region's key pair, with the fingerprint and validity ListPublicKeys reports."""

    def __init__(self, valid_from: float, valid_to: float):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.der = self.private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        self.fingerprint = hashlib.md5(self.der).hexdigest()
        self.valid_from = valid_from
        self.valid_to = valid_to


def sign(key: SigningKey, message: bytes) -> str:
    """Hex SHA256withRSA (PKCS#1 v1.5) signature, as in ``x-amz-meta-signature``."""
    return key.private.sign(message, padding.PKCS1v15(), hashes.SHA256()).hex()


class CloudTrailStandin:
    def __init__(self):
        self.keys: Dict[str, List[SigningKey]] = {}
        self.deny = False
        self.calls: List[str] = []
        self._server = None
        self._thread = None

    def key(self, region: str) -> SigningKey:
        """The region's current key (made on first use, valid from 2014 to a year from now)."""
        if region not in self.keys:
            now = time.time()
            self.keys[region] = [SigningKey(1_400_000_000.0, now + 86400 * 365)]  # 2014 to a year ahead
        return self.keys[region][-1]

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "CloudTrailStandin":
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                match = _SCOPE.search(self.headers.get("Authorization", ""))
                region = match.group(1) if match else ""
                if self.headers.get("X-Amz-Target") != _TARGET:
                    return self._answer(400, {"__type": "UnknownOperationException",
                                              "message": f"stand-in serves ListPublicKeys only, not {self.headers.get('X-Amz-Target')}"})
                standin.calls.append(region)
                if standin.deny:
                    return self._answer(400, {"__type": "AccessDeniedException",
                                              "Message": "User is not authorized to perform: cloudtrail:ListPublicKeys"})
                start = float(body.get("StartTime", time.time()))
                end = float(body.get("EndTime", time.time()))
                keys = [k for k in standin.keys.get(region, []) if k.valid_from <= end and k.valid_to >= start]
                return self._answer(200, {"PublicKeyList": [
                    {"Value": base64.b64encode(k.der).decode("ascii"), "ValidityStartTime": k.valid_from,
                     "ValidityEndTime": k.valid_to, "Fingerprint": k.fingerprint} for k in keys]})

            def _answer(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", "standin-0000")
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
