"""The modular input XML event stream, written fast and flushed per batch.

Format (Splunk "Modular inputs XML streaming"):
``<stream><event stanza="…"><time>…</time><index>…</index><source>…</source>
<sourcetype>…</sourcetype><host>…</host><data>…</data></event>…</stream>``.
Constant parts of an event are built once per batch; only ``data`` is escaped per event.
``data`` must already be XML-safe (``decoders.event_text`` and text lines are).
"""

from __future__ import annotations

import threading
from typing import BinaryIO, List, Tuple

from sqs_s3_audit_engine.delivery.batches import SinkClosed

__all__ = ["XmlEventWriter", "escape"]



def escape(text: str) -> str:
    """Escape text for an XML element (and attribute: quotes too)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class XmlEventWriter:
    """Thread-safe event writer: one batch is one write and one flush.

    Args:
        out: binary stream (``sys.stdout.buffer``).
        stanza: ``sqs_s3_audit://<name>``.
        index, host: written on every event when set.
    """

    def __init__(self, out: BinaryIO, stanza: str, index: str = "", host: str = ""):
        self._out = out
        self._lock = threading.Lock()
        self._closed = False
        self._opened = False
        self._head = f'<event stanza="{escape(stanza)}"><time>'
        self._index = f"<index>{escape(index)}</index>" if index else ""
        self._host = f"<host>{escape(host)}</host>" if host else ""
        self.events_written = 0

    def open(self) -> None:
        with self._lock:
            if not self._opened:
                self._out.write(b"<stream>")
                self._out.flush()
                self._opened = True

    def write(self, source: str, sourcetype: str, events: List[Tuple[str, str]]) -> None:
        middle = (
            f"</time>{self._index}<source>{escape(source)}</source>"
            f"<sourcetype>{escape(sourcetype)}</sourcetype>{self._host}<data>"
        )
        head = self._head
        tail = "</data></event>\n"
        text = "".join(
            [
                head + stamp + middle
                + (data if "<" not in data and "&" not in data and ">" not in data
                   else data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
                + tail
                for stamp, data in events
            ]
        )
        payload = text.encode("utf-8", "replace")
        with self._lock:
            if self._closed:
                raise SinkClosed()
            if not self._opened:
                self._out.write(b"<stream>")
                self._opened = True
            self._out.write(payload)
            self._out.flush()
            self.events_written += len(events)

    def close(self) -> None:
        """Close the stream (``</stream>``); later writes raise SinkClosed."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if not self._opened:
                    self._out.write(b"<stream>")
                self._out.write(b"</stream>\n")
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass
