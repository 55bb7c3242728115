"""The input's own log file, ``$SPLUNK_HOME/var/log/splunk/ta_sqs_s3_audit_<input>.log``.

The file, its rotation (25 MB, 5 kept) and the level come from solnlib's ``log.Logs``,
as in other UCC add-ons; this module adds the project's two rules to its handler:

- **redaction**: a filter replaces registered secrets (secret key, external id, session
  tokens, proxy password) by ``********``; the engine never logs them, the filter makes
  sure nothing it calls does either;
- **one entry, one line**: the formatter escapes CR, LF and every other control or
  line-separating character in the finished entry (``metrics.one_line``), tracebacks
  included (their line ends become ``\\n``), so no key, message or exception text can
  end an entry early or forge one. Splunk breaks its own log files at ``[\\r\\n]+``
  (no props of ours can change how ``_internal`` reads them), so a multi-line traceback
  would be several events, each searchable as if it were an entry; one line is the only
  form whose reading cannot be fooled.

Third-party libraries' warnings (botocore, urllib3, solnlib) go to stderr, which splunkd
copies into ``splunkd.log``, through the same two rules.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Iterable, Optional

from solnlib import log as solnlib_log
from sqs_s3_audit_engine.metrics import one_line

__all__ = ["RedactingFilter", "OneLineFormatter", "setup_logger", "log_path", "REDACTED"]

REDACTED = "********"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_FORMAT = "%(asctime)s %(levelname)s pid=%(process)d thread=%(threadName)s | %(message)s"
# AWS session tokens and secret keys have recognisable shapes; hide them even if unregistered.
_TOKEN_SHAPES = re.compile(r"(?:(?<=[=:\"' ])|^)(?:FwoG|IQoJ|FQoG)[A-Za-z0-9/+=]{40,}")


class RedactingFilter(logging.Filter):
    """Replaces every registered secret in a record's final message."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self._secrets = set()
        self._longest_first: list = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Optional[str]) -> None:
        if secret and len(secret) >= 4:
            self._secrets.add(secret)
            self._longest_first = sorted(self._secrets, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._longest_first:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _TOKEN_SHAPES.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = self.redact(message)
        record.args = ()
        return True


class OneLineFormatter(logging.Formatter):
    """Formats as usual, then escapes what could break the entry into lines.

    The text is kept on the record, so a handler that formats a record twice (the rotating
    file handler measures it before writing it) pays for one format (one entry per object
    is written while objects are read)."""

    def format(self, record: logging.LogRecord) -> str:
        done = record.__dict__.get("_one_line")
        if done is not None and done[0] is self:
            return done[1]
        text = one_line(super().format(record))
        record.__dict__["_one_line"] = (self, text)
        return text


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (as ``logging.lastResort``)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


_NAMESPACE = "ta_sqs_s3_audit"


def _log_dir() -> str:
    home = os.environ.get("SPLUNK_HOME") or os.getcwd()
    return os.path.join(home, "var", "log", "splunk")


def _file_name(input_name: str) -> str:
    """What solnlib appends to the namespace: the input name, made safe for a file name."""
    return _SAFE.sub("_", input_name)


def log_path(input_name: str) -> str:
    return os.path.join(_log_dir(), f"{_NAMESPACE}_{_file_name(input_name)}.log")


def setup_logger(input_name: str, level: str = "INFO", redactor: Optional[RedactingFilter] = None) -> logging.Logger:
    """The input's logger, writing to its own rotating file (stderr when it cannot).

    Called again (once the settings are read), it sets the level and the redactor on
    the same logger and file.
    """
    numeric = getattr(logging, str(level).upper(), None)
    numeric = numeric if isinstance(numeric, int) else logging.INFO
    redactor = redactor or RedactingFilter()
    directory = _log_dir()
    solnlib_log.Logs.set_context(directory=directory, namespace=_NAMESPACE, log_format=_FORMAT,
                                 log_level=numeric, max_bytes=25 * 1024 * 1024, backup_count=5)
    try:
        os.makedirs(directory, exist_ok=True)
        logger = solnlib_log.Logs().get_logger(_file_name(input_name))
    except OSError:
        logger = logging.getLogger(f"{_NAMESPACE}.{input_name}")
        logger.propagate = False
        if not logger.handlers:
            logger.addHandler(_Stderr())
    logger.setLevel(numeric)
    for handler in logger.handlers:
        _own(handler, redactor)
    _third_party_to_stderr(redactor)
    return logger


def _own(handler: logging.Handler, redactor: RedactingFilter) -> None:
    """The project's rules on a handler: UTF-8, one line per entry, redaction."""
    if isinstance(handler, logging.FileHandler) and (handler.encoding or "").lower() != "utf-8":
        # solnlib opens the file in the locale's encoding; a key may hold any character.
        handler.encoding = "utf-8"  # also what a rotation reopens with
        previous = handler.setStream(open(handler.baseFilename, handler.mode, encoding="utf-8"))
        if previous is not None:
            previous.close()
    handler.setFormatter(OneLineFormatter(_FORMAT))
    for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
        handler.removeFilter(old)
    handler.addFilter(redactor)


def _third_party_to_stderr(redactor: RedactingFilter) -> None:
    """Libraries stay quiet (botocore at DEBUG would log request headers); their warnings
    reach stderr one line each, redacted, instead of through ``logging.lastResort``."""
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "solnlib", "splunklib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_sqs_s3_audit", False)), None)
    if handler is None:
        handler = _Stderr()
        handler.setLevel(logging.WARNING)
        handler._sqs_s3_audit = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    _own(handler, redactor)
