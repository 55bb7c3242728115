"""The floor of the large-object part, run with the input's own Python on the same files:
bare gunzip (``zlib``, the whole object in hand, as read from S3); gunzip then
``json.loads`` of the document (the C JSON parser over every record, nothing written); and
gunzip then the C parser on each record in turn (``raw_decode`` from one record to the next,
each parsed record dropped: the per-record parse the input cannot avoid, without its memory).

    python3.9 floor.py <object.json.gz> ...

Prints ``<records> <uncompressed bytes>``, then the seconds of gunzip, gunzip + parse and
gunzip + per-record parse, then the CPU seconds of each (``time.process_time``).
"""

from __future__ import annotations

import json
import sys
import time
import zlib


_raw_decode = json.JSONDecoder().raw_decode


def _each_record(body: bytes) -> int:
    """Parse the compact ``{"Records":[...]}`` document one record at a time."""
    text = zlib.decompress(body, 16 + zlib.MAX_WBITS).decode("utf-8")
    pos, count = text.index("[") + 1, 0
    while True:
        _, pos = _raw_decode(text, pos)
        count += 1
        if text[pos] == "]":
            return count
        pos += 1  # the comma


def main() -> int:
    bodies = []
    for path in sys.argv[1:]:
        with open(path, "rb") as handle:
            bodies.append(handle.read())
    began, cpu = time.perf_counter(), time.process_time()
    size = sum(len(zlib.decompress(body, 16 + zlib.MAX_WBITS)) for body in bodies)
    gunzip, gunzip_cpu = time.perf_counter() - began, time.process_time() - cpu
    began, cpu = time.perf_counter(), time.process_time()
    records = sum(len(json.loads(zlib.decompress(body, 16 + zlib.MAX_WBITS))["Records"]) for body in bodies)
    parse, parse_cpu = time.perf_counter() - began, time.process_time() - cpu
    began, cpu = time.perf_counter(), time.process_time()
    each = sum(_each_record(body) for body in bodies)
    each_s, each_cpu = time.perf_counter() - began, time.process_time() - cpu
    assert each == records, (each, records)
    print(records, size, f"{gunzip:.6f}", f"{parse:.6f}", f"{each_s:.6f}", f"{gunzip_cpu:.6f}", f"{parse_cpu:.6f}",
          f"{each_cpu:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
