"""Object bytes: gzip found by content, cut files detected, binary refused."""

from __future__ import annotations

import gzip
import io
import os

import pytest

from sqs_s3_audit_engine.errors import ObjectError
from sqs_s3_audit_engine.objects import as_text, decompressed, iter_body, looks_binary


def run(data: bytes, size: int = 1000) -> bytes:
    return b"".join(decompressed(iter_body(io.BytesIO(data), size), "bkt", "key.json"))


def test_gzip_is_recognised_by_magic_bytes_whatever_the_name():
    payload = b'{"Records":[]}\n' * 5000
    assert run(gzip.compress(payload)) == payload


def test_plain_content_passes_through():
    assert run(b"plain text\n", 3) == b"plain text\n"


def test_concatenated_gzip_members_are_one_stream():
    assert run(gzip.compress(b"one\n") + gzip.compress(b"two\n"), 5) == b"one\ntwo\n"


def test_a_cut_gzip_file_is_an_error_naming_the_object():
    data = gzip.compress(os.urandom(50000))
    with pytest.raises(ObjectError) as info:
        run(data[: len(data) // 2])
    assert info.value.reason == "truncated_gzip" and "s3://bkt/key.json" in str(info.value)


def test_corrupt_gzip_is_an_error():
    data = bytearray(gzip.compress(b"x" * 10000))
    data[20:40] = b"\xff" * 20
    with pytest.raises(ObjectError) as info:
        run(bytes(data))
    assert info.value.reason in ("invalid_gzip", "truncated_gzip")


def test_a_one_byte_object_is_not_mistaken_for_gzip():
    assert run(b"\x1f", 1) == b"\x1f"


def test_utf8_split_across_chunks_and_bom_are_decoded():
    data = "\ufeffcafé ü".encode("utf-8")
    assert "".join(as_text([data[i:i + 1] for i in range(len(data))])) == "café ü"


def test_binary_junk_is_recognised_and_text_is_not():
    assert looks_binary(os.urandom(4096))
    assert looks_binary(b"abc\x00def")
    assert not looks_binary("naïve café\n".encode() * 100)
    assert not looks_binary(b"")
