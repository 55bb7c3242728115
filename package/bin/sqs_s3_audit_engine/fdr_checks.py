"""A CrowdStrike FDR file against the size and checksum its notification gives.

An FDR message gives each file's ``size`` (bytes as stored) and ``checksum`` (hex MD5 of
the stored, gzipped bytes; see :mod:`.notification_fdr`). Two checks, both naming the
file at ERROR and leaving the message (nothing marks the file finished):

1. Before a byte is read: GetObject's ``Content-Length`` against ``size``, and its ETag
   against ``checksum`` when the ETag is an MD5 of the content (a single-part upload,
   not encrypted with SSE-KMS or SSE-C). A file replaced or cut short since the message
   was sent is refused here and writes no event.
2. While it is read: the MD5 and byte count of every byte received, compared once the
   body has been read to its end. Events of such a file have been written by then (the
   stream is not held back); the file is not finished in the checkpoint, so the message
   comes back, and its events are not written again (the checkpoint holds the position).

The reasons are ``fdr_size_mismatch`` and ``fdr_checksum_mismatch``; neither is retried.
"""

from __future__ import annotations

import hashlib
import re
from typing import Iterator, Optional, Tuple

from .errors import ObjectError

__all__ = ["precheck", "checked", "CheckedBody", "CheckedEvents", "wants_check"]

_MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")


def wants_check(ref) -> bool:
    """Whether an object came with a size or checksum to check (an FDR file)."""
    return ref.expected_size is not None or bool(ref.checksum)


def _md5():
    return hashlib.md5(usedforsecurity=False)  # the vendor's integrity check, not security (works on FIPS hosts)


def precheck(ref, response: dict) -> None:
    """Compare GetObject's headers with the notification before reading.

    Raises:
        ObjectError: ``fdr_size_mismatch`` or ``fdr_checksum_mismatch``.
    """
    length = response.get("ContentLength")
    if ref.expected_size is not None and isinstance(length, int) and length != ref.expected_size:
        raise ObjectError(ref.bucket, ref.key, "fdr_size_mismatch",
                          f"the FDR notification gives size {ref.expected_size}, S3 holds {length} bytes "
                          "(the file was replaced or cut short since the notification was sent)")
    etag = str(response.get("ETag") or "").strip('"').lower()
    plain = response.get("ServerSideEncryption") in (None, "", "AES256") and not response.get("SSECustomerAlgorithm")
    if ref.checksum and plain and _MD5_ETAG.match(etag) and etag != ref.checksum:
        raise ObjectError(ref.bucket, ref.key, "fdr_checksum_mismatch",
                          f"the FDR notification gives MD5 {ref.checksum}, the object's ETag (its MD5) is {etag}")


class CheckedBody:
    """A body whose bytes are counted and hashed (MD5) as they are read."""

    def __init__(self, body):
        self.body = body
        self.size = 0
        self.md5 = _md5()

    def read(self, amount: int = -1) -> bytes:
        chunk = self.body.read(amount)
        if chunk:
            self.size += len(chunk)
            self.md5.update(chunk)
        return chunk

    def drain(self, read_size: int = 256 << 10) -> Tuple[int, str]:
        """Read to the end; the byte count and hex MD5 of everything read."""
        while self.read(read_size):
            pass
        return self.size, self.md5.hexdigest()

    def close(self) -> None:
        self.body.close()


class CheckedEvents:
    """An object's events (:class:`.events.ObjectEvents`, any attribute passes through);
    once they are all yielded, the body is read to its end and compared with the
    notification.

    Raises (while iterating, after the last event):
        ObjectError: ``fdr_size_mismatch`` or ``fdr_checksum_mismatch``.
    """

    def __init__(self, events, body: CheckedBody, ref):
        self._events, self._body, self._ref = events, body, ref

    def __getattr__(self, name):
        return getattr(self._events, name)

    def __iter__(self) -> Iterator[Tuple[str, str]]:
        yield from self._events
        size, digest = self._body.drain()
        ref = self._ref
        if ref.expected_size is not None and size != ref.expected_size:
            raise ObjectError(ref.bucket, ref.key, "fdr_size_mismatch",
                              f"the FDR notification gives size {ref.expected_size}, {size} bytes were read")
        if ref.checksum and digest != ref.checksum:
            raise ObjectError(ref.bucket, ref.key, "fdr_checksum_mismatch",
                              f"the FDR notification gives MD5 {ref.checksum}, the bytes read have MD5 {digest}")


def checked(ref, body) -> Tuple[object, Optional[CheckedBody]]:
    """The body to read: wrapped to be checked when the object came with a size or checksum."""
    if not wants_check(ref):
        return body, None
    wrapped = CheckedBody(body)
    return wrapped, wrapped
