"""An object's bytes -> decompressed text chunks, in bounded memory.

Compression is recognised by content (the gzip magic bytes ``1f 8b``), never by the
key's suffix: CloudTrail names files ``.json.gz``, vendors do as they like. Concatenated
gzip members are read as one stream, as ``gunzip`` does. A gzip stream that ends early
is an error (``truncated_gzip``): the records decoded before the cut have been handed on.
"""

from __future__ import annotations

import codecs
import zlib
from typing import Iterable, Iterator

from .errors import ObjectError

__all__ = ["READ_SIZE", "iter_body", "decompressed", "as_text", "looks_binary"]

READ_SIZE = 256 << 10  # bytes asked of the HTTP body per read
# Decompressed bytes produced per step, to bound memory. 192 KiB: with the decoder's look-ahead
# (text_cursor.AHEAD, 64 KiB) a buffer holds at most MAX_VALUES (262,144) characters, so it cannot
# hold too many JSON values and is not counted (the count cost ~10% of a large object's CPU).
_MAX_EXPANSION = 192 << 10
_GZIP_MAGIC = b"\x1f\x8b"


def iter_body(body, read_size: int = READ_SIZE) -> Iterator[bytes]:
    """Chunks of a file-like body (``StreamingBody``, ``BytesIO``) until EOF."""
    while True:
        chunk = body.read(read_size)
        if not chunk:
            return
        yield chunk


def decompressed(chunks: Iterable[bytes], bucket: str, key: str) -> Iterator[bytes]:
    """Yield the object's content, gunzipped when it starts with the gzip magic bytes.

    Raises:
        ObjectError: ``truncated_gzip`` or ``invalid_gzip``, naming the object.
    """
    chunks = iter(chunks)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 2:
            break
    if not head.startswith(_GZIP_MAGIC):
        if head:
            yield head
        yield from chunks
        return

    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    in_member = False  # True while the current gzip member has begun but not ended
    pending = head
    while True:
        try:
            while pending:
                in_member = True
                out = inflater.decompress(pending, _MAX_EXPANSION)
                if out:
                    yield out
                if inflater.eof:
                    rest = inflater.unused_data
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    in_member = False
                    # Zero padding after the last member is tolerated, as gzip does.
                    pending = rest if rest.strip(b"\x00") else b""
                else:
                    pending = inflater.unconsumed_tail
        except zlib.error as exc:
            raise ObjectError(bucket, key, "invalid_gzip", f"gzip data is corrupt ({exc})") from None
        nxt = next(chunks, None)
        if nxt is None:
            break
        pending = nxt
    if in_member:
        raise ObjectError(
            bucket, key, "truncated_gzip", "the gzip stream ends before its end marker (object cut short)"
        )


def as_text(chunks: Iterable[bytes]) -> Iterator[str]:
    """Decode UTF-8 incrementally (a BOM dropped, bad bytes replaced by U+FFFD)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    for chunk in chunks:
        text = decoder.decode(chunk)
        if text:
            yield text
    text = decoder.decode(b"", final=True)
    if text:
        yield text


def looks_binary(sample: bytes) -> bool:
    """True when a content sample is not text: NUL bytes or mostly non-printable bytes."""
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    try:
        sample.decode("utf-8")
        return False
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # a multi-byte character cut by the sample's end
            return False
    control = sum(1 for b in sample if b < 9 or 13 < b < 32 or b == 127)
    high_invalid = len(sample) - len(sample.decode("utf-8", errors="ignore").encode("utf-8"))
    return (control + high_invalid) > len(sample) * 0.1
