"""Which objects are finished, and how far into an unfinished one events were written.

One journal file per input under ``checkpoint_dir`` (no KV store needed, as on a heavy
forwarder). Each change is one JSON line appended and fsynced (group commit: the lines of
concurrent writers share one write and one fsync, and each writer returns only once its own
line is on disk):
``{"o": <object id>, "n": <next position>, "t": <unix time>}`` or ``{"o": …, "d": 1, "t": …}``
for a finished object, with ``"m": {...}`` when small metadata is kept with it (a
CloudTrail log file's content hash, for digest validation). A line cut by a crash (power
loss, full disk) is ignored on load and cut off the file before the next entry is appended,
so a write is atomic and the next entry never joins a torn line.
When the journal grows past a few times the live entries it is rewritten to a temporary
file and renamed over the old one (atomic on POSIX and Windows); the directory is then
fsynced so the rename itself survives a power loss (POSIX; Windows has no directory fsync).

Entries expire: a finished object is remembered for ``retention`` seconds (long enough
to absorb SQS redeliveries of its message) and at most ``max_entries`` are kept, oldest
first out, so the file and the memory stay bounded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from typing import Dict, List, Optional, Tuple

__all__ = ["object_id", "Checkpoint", "DONE"]

DONE = -1
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def object_id(bucket: str, key: str, version: str) -> str:
    """A short stable id of one version of one object (version id, else ETag)."""
    digest = hashlib.sha256(f"{bucket}\0{key}\0{version}".encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:32]


class Checkpoint:
    """Thread-safe journal of object progress.

    Args:
        directory: the input's ``checkpoint_dir``.
        input_name: the input stanza name (the file is named after it).
        retention: seconds a finished object is remembered (default 14 days, the longest
            an SQS message can live).
        max_entries: cap on remembered objects.
        fsync: flush every change to disk (power-loss safety); tests may turn it off.
    """

    def __init__(
        self,
        directory: str,
        input_name: str,
        retention: float = 14 * 86400,
        max_entries: int = 200_000,
        fsync: bool = True,
    ):
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, _SAFE.sub("_", input_name) + ".ckpt.jsonl")
        self.retention = retention
        self.max_entries = max_entries
        self.fsync = fsync
        self._lock = threading.Lock()  # the entries in memory and the queue of lines; never held across I/O
        self._flushed = threading.Condition(self._lock)
        self._pending: List[str] = []  # lines appended to the journal by the next group commit
        self._queued = 0  # lines ever queued (a writer's ticket)
        self._durable = 0  # lines ever written and fsynced
        self._committing = False  # one writer (the leader) writes and fsyncs for every waiter
        self._entries: Dict[str, Tuple[int, float]] = {}
        self._meta: Dict[str, dict] = {}
        self._journal_lines = 0
        self._load()
        _cut_torn_tail(self.path)
        self._file = open(self.path, "a", encoding="utf-8")
        self._compact_if_needed(force=self._journal_lines > len(self._entries) * 2 + 100)

    # -- reading -------------------------------------------------------------------
    def position(self, oid: str) -> int:
        """Next position to write for ``oid``: 0 when unknown, ``DONE`` when finished."""
        with self._lock:
            entry = self._entries.get(oid)
            return entry[0] if entry else 0

    def is_done(self, oid: str) -> bool:
        return self.position(oid) == DONE

    def meta(self, oid: str) -> Optional[dict]:
        """The metadata kept with a finished object, or None."""
        with self._lock:
            return self._meta.get(oid) if oid in self._entries else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    # -- writing -------------------------------------------------------------------
    def advance(self, oid: str, next_position: int) -> None:
        """Record that every position before ``next_position`` has been written."""
        self._write(oid, next_position)

    def finish(self, oid: str, meta: Optional[dict] = None) -> None:
        """Record that the whole object has been written, with optional small metadata."""
        self._write(oid, DONE, meta)

    def close(self) -> None:
        with self._lock:
            while self._committing:
                self._flushed.wait()
            if not self._file.closed:
                self._file.write("".join(self._pending))
                self._pending = []
                self._file.flush()
                self._file.close()

    def _write(self, oid: str, position: int, meta: Optional[dict] = None) -> None:
        """Queue the line, then return once it is written and fsynced: the first writer to
        find no commit under way writes every queued line with one write and one fsync
        while the others wait for it (they need that fsync anyway: theirs is in it)."""
        now = time.time()
        line = _line(oid, position, now, meta)
        with self._lock:
            self._entries.pop(oid, None)  # re-insert: dict order is age order
            self._entries[oid] = (position, now)
            if meta:
                self._meta[oid] = meta
            else:
                self._meta.pop(oid, None)
            if len(self._entries) > self.max_entries:
                oldest = next(iter(self._entries))
                del self._entries[oldest]
                self._meta.pop(oldest, None)
            self._pending.append(line)
            self._queued += 1
            ticket = self._queued
            while self._durable < ticket:
                if self._committing:
                    self._flushed.wait()
                    continue
                self._committing = True
                lines, self._pending, upto = self._pending, [], self._queued
                self._lock.release()
                try:
                    self._commit(lines)
                except BaseException:
                    self._lock.acquire()
                    self._pending[:0] = lines  # written again by the next commit (a repeated line is harmless)
                    self._committing = False
                    self._flushed.notify_all()
                    raise
                self._lock.acquire()
                self._durable = upto
                self._committing = False
                self._flushed.notify_all()

    def _commit(self, lines: List[str]) -> None:
        """Append ``lines`` in one write and fsync them (the leader only: no other writer
        touches the file meanwhile); compact the journal when it has grown."""
        self._file.write("".join(lines))
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())
        self._journal_lines += len(lines)
        self._compact_if_needed()

    # -- persistence ---------------------------------------------------------------
    def _load(self) -> None:
        try:
            handle = open(self.path, "r", encoding="utf-8")
        except FileNotFoundError:
            return
        with handle:
            for line in handle:
                self._journal_lines += 1
                try:
                    entry = json.loads(line)
                    oid = entry["o"]
                    position = DONE if entry.get("d") else int(entry["n"])
                    stamp = float(entry["t"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash
                self._entries.pop(oid, None)
                self._entries[oid] = (position, stamp)
                meta = entry.get("m")
                if isinstance(meta, dict) and meta:
                    self._meta[oid] = meta
                else:
                    self._meta.pop(oid, None)
        self._expire(time.time())

    def _expire(self, now: float) -> None:
        cutoff = now - self.retention
        stale = [oid for oid, (_, stamp) in self._entries.items() if stamp < cutoff]
        for oid in stale:
            del self._entries[oid]
            self._meta.pop(oid, None)
        excess = len(self._entries) - self.max_entries
        if excess > 0:
            for oid in list(self._entries)[:excess]:
                del self._entries[oid]
                self._meta.pop(oid, None)

    def _compact_if_needed(self, force: bool = False) -> None:
        """Rewrite the journal from the live entries (at start, or by the commit leader:
        no other writer touches the file meanwhile). The entries are copied under the lock,
        the file written and fsynced outside it; lines queued meanwhile follow in the new file."""
        if not force and self._journal_lines < max(1000, 2 * len(self._entries)):
            return
        with self._lock:
            self._expire(time.time())
            lines = [_line(oid, position, stamp, self._meta.get(oid))
                     for oid, (position, stamp) in self._entries.items()]
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            out.writelines(lines)
            out.flush()
            if self.fsync:
                os.fsync(out.fileno())
        self._file.close()
        os.replace(tmp, self.path)
        if self.fsync:
            _fsync_directory(os.path.dirname(self.path))
        self._file = open(self.path, "a", encoding="utf-8")
        self._journal_lines = len(lines)


def _cut_torn_tail(path: str) -> None:
    """Drop a last line without its newline (torn by a crash) so the next append starts clean."""
    try:
        handle = open(path, "r+b")
    except FileNotFoundError:
        return
    with handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        end = size
        while end > 0:  # back to the last newline, a block at a time
            start = max(0, end - 65536)
            handle.seek(start)
            block = handle.read(end - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                end = start + cut + 1
                break
            end = start
        handle.truncate(end)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return  # Windows: NTFS journals the rename itself
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename stands
    finally:
        os.close(fd)


def _line(oid: str, position: int, stamp: float, meta: Optional[dict]) -> str:
    entry: dict = {"o": oid, "t": round(stamp, 3)}
    if position == DONE:
        entry["d"] = 1
    else:
        entry["n"] = position
    if meta:
        entry["m"] = meta
    return json.dumps(entry, separators=(",", ":")) + "\n"
