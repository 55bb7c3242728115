"""The floor of the large-object part, run with the input's own Python on the same files:
bare gunzip (``zlib``, the whole object in hand, as read from S3), and gunzip then
``json.loads`` of the document (the C JSON parser over every record, nothing written).

    python3.9 floor.py <object.json.gz> ...

Prints ``<records> <uncompressed bytes> <gunzip seconds> <gunzip+parse seconds>`` and the
CPU seconds of both (``time.process_time``).
"""

from __future__ import annotations

import json
import sys
import time
import zlib


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
    print(records, size, f"{gunzip:.6f}", f"{parse:.6f}", f"{gunzip_cpu:.6f}", f"{parse_cpu:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
