"""What every part of the bench shares: paths, machine facts, process memory, medians."""

from __future__ import annotations

import os
import platform
import sys
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "bench-out")
APP = os.path.join(ROOT, "output", "TA_sqs_s3_audit")
APP_LIB = os.path.join(APP, "lib")
SCRIPTS = os.path.join(ROOT, "scripts")

for _p in (os.path.join(ROOT, "package", "bin"), SCRIPTS, os.path.join(ROOT, "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)


def say(text: str) -> None:
    print(text, flush=True)


def proc_status(pid: int) -> Dict[str, float]:
    """VmHWM / VmRSS of a process in MB (empty when it is gone)."""
    out: Dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    out[line.split(":")[0]] = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (``/proc/<pid>/stat``), 0 when gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def median(values: List[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def loadavg() -> list:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def input_python(choice: Optional[str] = None) -> str:
    """The interpreter the built input runs under (Splunk 9.x's 3.9 by default)."""
    from modinput_runner import pythons

    found = pythons()
    if choice:
        return found.get(choice, choice)
    return found.get("py39") or found.get("py313") or sys.executable


def machine() -> dict:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        nproc = len(os.sched_getaffinity(0))  # what `nproc` prints
    except AttributeError:
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpus": os.cpu_count(), "cpu": model or platform.processor(),
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "loadavg_start": loadavg()}
