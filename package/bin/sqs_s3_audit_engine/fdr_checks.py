"""A CrowdStrike FDR file against the size and checksum its notification gives.

An FDR message gives each file's ``size`` (bytes as stored) and ``checksum`` (hex MD5 of
the stored, gzipped bytes; see :mod:`.notification_fdr`). Two checks, both naming the
file at ERROR and leaving the message (nothing marks the file finished):

1. Before a byte is written: GetObject's ``Content-Length`` against ``size``, and its ETag
   against ``checksum`` when the ETag is an MD5 of the content (a single-part upload,
   not encrypted with SSE-KMS or SSE-C). When either differs, the file is read whole
   first (spooled: memory up to 16 MB, then a temporary file) and its MD5 and length
   computed, of the stored bytes and of the gunzipped content: a producer that gives the
   uncompressed file's size and MD5 is accepted too. A file that matches neither way (one
   replaced or cut short since the message was sent) is refused and writes no event.
2. While it is read (when nothing needed the whole read): the MD5 and byte count of every
   byte received, compared once the body has been read to its end. Events of such a file
   have been written by then (the stream is not held back); the file is not finished in the
   checkpoint, so the message comes back, and its events are not written again.

The reasons are ``fdr_size_mismatch`` and ``fdr_checksum_mismatch``; neither is retried.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from typing import Iterator, Optional, Tuple

from .errors import ObjectError
from .objects import decompressed, iter_body

__all__ = ["precheck", "checked", "CheckedBody", "CheckedEvents", "VerifiedBody", "wants_check"]

_MD5_ETAG = re.compile(r"^[0-9a-f]{32}$")
_SPOOL_MEMORY = 16 << 20  # a file read whole before writing stays in memory up to this, then on disk


def wants_check(ref) -> bool:
    """Whether an object came with a size or checksum to check (an FDR file)."""
    return ref.expected_size is not None or bool(ref.checksum)


def _md5():
    return hashlib.md5(usedforsecurity=False)  # the vendor's integrity check, not security (works on FIPS hosts)


def precheck(ref, response: dict) -> None:
    """Compare GetObject's headers with the notification before a byte is written; when
    they differ, read the file whole and decide on its bytes (see the module docstring).
    A file read whole replaces ``response["Body"]`` (read from the start again).

    Raises:
        ObjectError: ``fdr_size_mismatch`` or ``fdr_checksum_mismatch``.
    """
    length = response.get("ContentLength")
    etag = str(response.get("ETag") or "").strip('"').lower()
    plain = response.get("ServerSideEncryption") in (None, "", "AES256") and not response.get("SSECustomerAlgorithm")
    md5_etag = plain and bool(_MD5_ETAG.match(etag))
    size_ok = ref.expected_size is None or not isinstance(length, int) or length == ref.expected_size
    sum_ok = not ref.checksum or not md5_etag or etag == ref.checksum
    if not (size_ok and sum_ok):
        _read_whole_and_decide(ref, response)


def _fits(ref, size: int, digest: str) -> bool:
    return (ref.expected_size is None or size == ref.expected_size) and (not ref.checksum or digest == ref.checksum)


def _read_whole_and_decide(ref, response: dict) -> None:
    body = response["Body"]
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)
    stored_md5, content_md5 = _md5(), _md5()
    counts = [0, 0]  # stored bytes, content bytes

    def stored_chunks():
        for chunk in iter_body(body):
            spool.write(chunk)
            stored_md5.update(chunk)
            counts[0] += len(chunk)
            yield chunk

    chunks = stored_chunks()
    content: Optional[Tuple[int, str]] = None
    try:
        for part in decompressed(chunks, ref.bucket, ref.key):
            content_md5.update(part)
            counts[1] += len(part)
        content = (counts[1], content_md5.hexdigest())
    except ObjectError:  # not a whole gzip stream: only the stored bytes can match
        for _ in chunks:
            pass
    stored = (counts[0], stored_md5.hexdigest())
    if _fits(ref, *stored) or (content is not None and _fits(ref, *content)):
        spool.seek(0)
        body.close()
        response["Body"] = VerifiedBody(spool)
        return
    spool.close()
    read = f"the stored object has {stored[0]} bytes, MD5 {stored[1]}" + (
        f"; its uncompressed content {content[0]} bytes, MD5 {content[1]}" if content and content != stored else "")
    if ref.expected_size is not None and ref.expected_size not in (stored[0], content[0] if content else None):
        raise ObjectError(ref.bucket, ref.key, "fdr_size_mismatch",
                          f"the FDR notification gives size {ref.expected_size}, {read} (the file was replaced or "
                          "cut short since the notification was sent)")
    raise ObjectError(ref.bucket, ref.key, "fdr_checksum_mismatch",
                      f"the FDR notification gives MD5 {ref.checksum}, {read}")


class VerifiedBody:
    """A file read whole and checked before a byte of it was written (spooled); it needs no
    further check. Closes its spool once read to the end."""

    fdr_verified = True

    def __init__(self, spool):
        self._spool = spool

    def read(self, amount: int = -1) -> bytes:
        chunk = self._spool.read(amount)
        if not chunk:
            self._spool.close()
        return chunk

    def close(self) -> None:
        self._spool.close()


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
    """The body to read: wrapped to be checked when the object came with a size or checksum
    (and was not read whole and checked already by :func:`precheck`)."""
    if not wants_check(ref) or getattr(body, "fdr_verified", False):
        return body, None
    wrapped = CheckedBody(body)
    return wrapped, wrapped
