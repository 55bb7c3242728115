"""The C allocator's thresholds for the input process (glibc on Linux only).

A large object passes through the input as buffers of about a megabyte: each inflated
step (1 MiB), the decoder's text buffer, a batch's XML text and its UTF-8 bytes (up to
``BATCH_CHARS``). glibc serves an allocation above ``M_MMAP_THRESHOLD`` (128 KiB at
first, raised on the fly as such blocks are freed) with a fresh ``mmap`` and unmaps it
on free, and gives the top of the heap back above ``M_TRIM_THRESHOLD``: every such
buffer then costs a page fault per 4 KiB on first touch. Measured on a 20,000-record
CloudTrail object (``scripts/benchmarks/stages.py`` style, in process, Python 3.9 and
3.13): about 800 minor faults per uncompressed MB and a sixth of the CPU time in the
kernel, against about 25 per MB with the thresholds below. The price is a little memory kept
for reuse: the built input's VmHWM rose from 70-71 to 72-76 MB for one 100 MB object and from
105-106 to 111-113 MB for four at once with 4 workers (bench rig, 2026-12-03, Python 3.9 and
3.13; targets 120 and 200 MB), before the inflate step went from 1 MiB to 192 KiB (69-70 and
93-94 MB since).

With ``M_MMAP_THRESHOLD`` fixed at 16 MiB those buffers come from the heap and are
reused; ``M_TRIM_THRESHOLD`` at 64 MiB keeps freed heap for the next buffer. What the
input holds in memory is unchanged (one object's buffers are bounded as before); freed
memory is reused rather than returned and faulted in again. Nothing else changes: on
another C library or platform, or when ``mallopt`` is missing, this does nothing.
glibc documents both parameters: https://man7.org/linux/man-pages/man3/mallopt.3.html
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["tune", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

_M_TRIM_THRESHOLD = -1  # <malloc.h>
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 << 20
TRIM_THRESHOLD = 64 << 20


def tune() -> bool:
    """Set the thresholds; True when glibc took both (False elsewhere, never raises)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The process's own symbols (the interpreter and the C library it is linked with):
        # no library is loaded by name.
        mallopt = ctypes.pythonapi.mallopt
    except AttributeError:  # not glibc
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
