"""The input's own log file, ``$SPLUNK_HOME/var/log/splunk/ta_sqs_s3_audit_<input>.log``.

Every handler carries a filter that replaces registered secrets (secret key, external
id, session tokens, proxy password) by ``********``: the engine never logs them, the
filter makes sure nothing it calls does either.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
from typing import Iterable, Optional

__all__ = ["RedactingFilter", "setup_logger", "log_path", "REDACTED"]

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
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Optional[str]) -> None:
        if secret and len(secret) >= 4:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
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


def log_path(input_name: str) -> str:
    home = os.environ.get("SPLUNK_HOME") or os.getcwd()
    return os.path.join(home, "var", "log", "splunk", f"ta_sqs_s3_audit_{_SAFE.sub('_', input_name)}.log")


def setup_logger(input_name: str, level: str = "INFO", redactor: Optional[RedactingFilter] = None) -> logging.Logger:
    """The input's logger, writing to its own rotating file (stderr when it cannot)."""
    logger = logging.getLogger(f"ta_sqs_s3_audit.{input_name}")
    logger.propagate = False
    logger.setLevel(getattr(logging, str(level).upper(), logging.INFO))
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    path = log_path(input_name)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=25 * 1024 * 1024, backupCount=5, encoding="utf-8", delay=False
        )
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(redactor or RedactingFilter())
    logger.addHandler(handler)
    # Libraries stay quiet: botocore at DEBUG would log request headers.
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "solnlib", "splunklib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logger
