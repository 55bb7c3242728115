"""The modular input XML event stream, written fast and flushed per batch.

Format (Splunk "Modular inputs XML streaming"):
``<stream><event stanza="…"><time>…</time><index>…</index><source>…</source>
<sourcetype>…</sourcetype><host>…</host><data>…</data></event>…</stream>``.

The one rule for every field written (data, time, source, sourcetype, host, index,
stanza), whatever it holds: the stream stays well-formed XML 1.0.

- ``&``, ``<``, ``>`` (and ``"`` in the stanza attribute) are escaped, so ``</stream>``
  in a key or a record is text;
- CR is written as ``&#13;`` (a raw CR would reach splunkd as LF, and ``source`` would
  no longer name the object); in the attribute TAB and LF are encoded too;
- a character XML 1.0 cannot carry (C0 controls other than TAB, LF and CR, such as ESC;
  a lone surrogate; U+FFFE, U+FFFF) becomes U+FFFD, visibly.

The hot path: constant parts of an event are built once per batch (with the full rule)
and the batch is one flat join (no per-event string, each record copied once); ``time``
and ``data`` are checked per event only for ``& < >`` (memchr-fast), and the batch is checked
once, after UTF-8 encoding, for any byte XML cannot carry (one ``bytes.translate``
deleting every allowed byte: what is left is the bad bytes, usually nothing); strict
encoding itself raises on a lone surrogate, and U+FFFE/U+FFFF cannot be in a batch that
is ASCII or Latin-1 (answered without scanning). Only a batch that fails a check is
rebuilt event by event with the full rule.
"""

from __future__ import annotations

import re
import threading
from typing import BinaryIO, List, Tuple

from sqs_s3_audit_engine.delivery.batches import SinkClosed

__all__ = ["XmlEventWriter", "escape", "xml_text"]

# What XML 1.0 cannot carry (https://www.w3.org/TR/xml/#charsets); with CR and & < >,
# what an element's text needs care for.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NEEDS_CARE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff&<>]")
# Every UTF-8 byte an encoded XML text may hold as is: translate() deletes them all.
_ALLOWED_BYTES = b"\t\n" + bytes(range(0x20, 0x100))
_TAIL = "</data></event>\n"


def _amp_lt_gt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_text(text: str) -> str:
    """Text for an XML element: escaped, CR as ``&#13;``, what XML cannot carry as U+FFFD."""
    if not _NEEDS_CARE.search(text):
        return text
    text = _amp_lt_gt(text)
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("\ufffd", text)
    return text.replace("\r", "&#13;")


def _careful(data: str) -> str:
    """``xml_text`` for a batch that failed the batch check: most of its events are clean,
    and the encode-and-translate test is cheaper than the regular expression."""
    try:
        if not data.encode("utf-8").translate(None, _ALLOWED_BYTES) and "\ufffe" not in data and "\uffff" not in data:
            return data if "<" not in data and "&" not in data and ">" not in data else _amp_lt_gt(data)
    except UnicodeEncodeError:
        pass
    return xml_text(data)


def escape(text: str) -> str:
    """Text for an XML attribute (and element): quotes, TAB, LF and CR as references too."""
    text = xml_text(text)
    if '"' in text or "\t" in text or "\n" in text:
        text = text.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
    return text


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
        self._index = f"<index>{xml_text(index)}</index>" if index else ""
        self._host = f"<host>{xml_text(host)}</host>" if host else ""
        self.events_written = 0

    def open(self) -> None:
        with self._lock:
            if not self._opened:
                self._out.write(b"<stream>")
                self._out.flush()
                self._opened = True

    def write(self, source: str, sourcetype: str, events: List[Tuple[str, str]]) -> None:
        middle = (
            f"</time>{self._index}<source>{xml_text(source)}</source>"
            f"<sourcetype>{xml_text(sourcetype)}</sourcetype>{self._host}<data>"
        )
        head = self._head
        # One flat join: no per-event string is built, so each record is copied once.
        text = "".join(
            [
                part
                for stamp, data in events
                for part in (
                    head,
                    stamp if "<" not in stamp and "&" not in stamp and ">" not in stamp else _amp_lt_gt(stamp),
                    middle,
                    data if "<" not in data and "&" not in data and ">" not in data else _amp_lt_gt(data),
                    _TAIL,
                )
            ]
        )
        try:
            payload = text.encode("utf-8")  # strict: a lone surrogate raises
            clean = not payload.translate(None, _ALLOWED_BYTES) and "\ufffe" not in text and "\uffff" not in text
        except UnicodeEncodeError:
            clean = False
        if not clean:
            payload = "".join(
                [part for stamp, data in events for part in (head, xml_text(stamp), middle, _careful(data), _TAIL)]
            ).encode("utf-8")
        if self._closed:  # closed while another write was blocked: do not queue up behind it
            raise SinkClosed()
        with self._lock:
            if self._closed:
                raise SinkClosed()
            if not self._opened:
                self._out.write(b"<stream>")
                self._opened = True
            self._out.write(payload)
            self._out.flush()
            self.events_written += len(events)

    def close(self, timeout: float = 2.0) -> bool:
        """Close the stream (``</stream>``); later writes raise SinkClosed.

        When splunkd has stopped reading stdout, a ``write`` may be blocked on the full pipe
        while it holds the lock: after ``timeout`` seconds the stream is marked closed
        without the closing tag (it could only land in the middle of that event), so the
        input still stops. The blocked batch was never acknowledged, so its position is not
        stored and the next run writes it again. Returns False in that case.
        """
        if not self._lock.acquire(timeout=timeout):
            self._closed = True
            return False
        try:
            if self._closed:
                return True
            self._closed = True
            try:
                if not self._opened:
                    self._out.write(b"<stream>")
                self._out.write(b"</stream>\n")
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass
            return True
        finally:
            self._lock.release()
