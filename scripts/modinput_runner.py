"""Run the BUILT modular input as splunkd does: a subprocess, XML on stdin, events on stdout."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "output", "TA_sqs_s3_audit")
SCRIPT = os.path.join(APP, "bin", "sqs_s3_audit.py")


def pythons() -> Dict[str, str]:
    """Splunk's interpreters, from the Makefile's PY39/PY313 (or pyenv's usual place)."""
    found = {}
    for label, env, fallback in (("py39", "PY39", "/root/.pyenv/versions/3.9.18/bin/python3.9"),
                                 ("py313", "PY313", "/root/.pyenv/versions/3.13.0/bin/python3.13")):
        path = os.environ.get(env) or fallback
        if os.path.exists(path):
            found[label] = path
    return found


def input_xml(server_uri: str, session_key: str, checkpoint_dir: str, name: str, params: Dict[str, str]) -> str:
    body = "".join(f'<param name="{escape(k)}">{escape(str(v))}</param>' for k, v in params.items())
    return (
        "<input><server_host>hf1</server_host>"
        f"<server_uri>{escape(server_uri)}</server_uri><session_key>{escape(session_key)}</session_key>"
        f"<checkpoint_dir>{escape(checkpoint_dir)}</checkpoint_dir>"
        f'<configuration><stanza name="sqs_s3_audit://{escape(name)}" app="TA_sqs_s3_audit">{body}'
        "</stanza></configuration></input>"
    )


def validation_xml(server_uri: str, session_key: str, name: str, params: Dict[str, str]) -> str:
    body = "".join(f'<param name="{escape(k)}">{escape(str(v))}</param>' for k, v in params.items())
    return (f"<items><server_host>hf1</server_host><server_uri>{escape(server_uri)}</server_uri>"
            f"<session_key>{escape(session_key)}</session_key><checkpoint_dir>/tmp</checkpoint_dir>"
            f'<item name="{escape(name)}">{body}</item></items>')


#: every process started, so a test run can stop what a failing test left behind
STARTED: List["RunningInput"] = []


def stop_all() -> None:
    for running in STARTED:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait(10)
    STARTED.clear()


class RunningInput:
    """The input process, its stdout collected in the background."""

    def __init__(self, python: str, xml: str, splunk_home: str, extra_env: Optional[Dict[str, str]] = None):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
        env["SPLUNK_HOME"] = splunk_home
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep the built app free of .pyc files
        env.update(extra_env or {})
        self.proc = subprocess.Popen([python, SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, cwd=splunk_home)
        STARTED.append(self)
        self.proc.stdin.write(xml.encode())
        self.proc.stdin.close()
        self._out = bytearray()
        self._err = bytearray()
        #: cleared, stdout is not read (splunkd's indexing queues full): the pipe fills up
        self.reading = threading.Event()
        self.reading.set()
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self._out, self.reading),
                                          daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True)]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream, sink: bytearray, reading: Optional[threading.Event] = None) -> None:
        while True:
            if reading is not None:
                reading.wait()
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                return
            sink.extend(chunk)

    @property
    def stdout(self) -> bytes:
        return bytes(self._out)

    @property
    def stderr(self) -> str:
        return bytes(self._err).decode("utf-8", "replace")

    def event_count(self) -> int:
        return bytes(self._out).count(b"</event>")

    def wait_for(self, predicate, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"input exited early ({self.proc.returncode}): {self.stderr[-2000:]}")
            time.sleep(0.1)
        raise AssertionError(f"timed out; stderr: {self.stderr[-2000:]}")

    def terminate(self, timeout: float = 10.0) -> float:
        """SIGTERM; returns the seconds it took to exit (raises if over ``timeout``)."""
        start = time.time()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout)
        took = time.time() - start
        self.reading.set()  # what is left in the pipe is read now
        for t in self._threads:
            t.join(5)
        return took

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self.reading.set()
        for t in self._threads:
            t.join(5)


def parse_events(stream: bytes, closed: bool = True) -> List[dict]:
    """Events of an XML stream; a killed process's stream is closed here for parsing."""
    text = stream.decode("utf-8")
    if not closed:
        cut = text.rfind("</event>")
        text = (text[: cut + len("</event>")] if cut >= 0 else "<stream>") + "</stream>"
    root = ET.fromstring(text)
    assert root.tag == "stream"
    return [dict({child.tag: child.text for child in ev}, stanza=ev.get("stanza")) for ev in root.findall("event")]
