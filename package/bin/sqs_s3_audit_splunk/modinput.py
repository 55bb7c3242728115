"""The modular input protocol for ``sqs_s3_audit``: ``--scheme``, ``--validate-arguments``, run.

splunkd starts ``bin/sqs_s3_audit.py`` with the input configuration XML on stdin
(``server_uri``, ``session_key``, ``checkpoint_dir``, one ``<stanza>``). The input reads
its account, role, proxy and log level from splunkd's REST API, then runs the engine's
collector until SIGTERM, when it stops taking messages, closes the XML stream and
exits 0 within 10 seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import xml.etree.ElementTree as ET
from typing import IO, Dict, List

from sqs_s3_audit_engine import __version__
from sqs_s3_audit_engine.config import parse_input
from sqs_s3_audit_engine.errors import AwsCallError, ConfigError
from sqs_s3_audit_engine.metrics import kv, one_line
from sqs_s3_audit_engine.retry import ErrorReporter
from sqs_s3_audit_engine.wiring import InputParts, build_input

from . import malloc_tuning
from .event_writer import XmlEventWriter, escape
from .logs import RedactingFilter, setup_logger
from .protocol import SCHEME_NAME, parse_input_xml, parse_validation_xml, scheme_xml
from .settings import load_settings
from .splunkd_config import SplunkdConfig, SplunkdConfigError

__all__ = ["main", "entry", "validate"]


def validate(text: str, out: IO[str]) -> int:
    """``--validate-arguments``: 0 when valid, else 1 with an ``<error>`` naming the parameter."""
    try:
        header, name, params = parse_validation_xml(text)
        cfg = parse_input(name, params)
        if header.get("server_uri") and header.get("session_key"):
            splunkd = SplunkdConfig(header["server_uri"], header["session_key"])
            load_settings(splunkd, cfg)  # proxy_type: HTTP only (accounts.parse_proxy)
    except (ConfigError, ET.ParseError, SplunkdConfigError) as exc:
        out.write(f"<error><message>{escape(str(exc))}</message></error>\n")
        out.flush()
        return 1
    return 0


def run(text: str, out_binary, err: IO[str]) -> int:
    """Run the input until SIGTERM. Returns the exit status."""
    try:
        header, stanza, params = parse_input_xml(text)
        cfg = parse_input(stanza, params)
    except (ConfigError, ET.ParseError) as exc:
        err.write(f"ERROR sqs_s3_audit: invalid input configuration: {one_line(str(exc))}\n")
        return 1
    redactor = RedactingFilter([header.get("session_key", "")])
    log = setup_logger(cfg.name, "INFO", redactor)
    stop = threading.Event()

    def on_signal(signum, frame):  # noqa: ARG001 - signal handler signature
        if not stop.is_set():
            log.info(kv(action="stopping", signal=signum))
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if hasattr(signal, "SIGBREAK"):
        signal.signal(signal.SIGBREAK, on_signal)  # Windows

    try:
        splunkd = SplunkdConfig(header["server_uri"], header["session_key"])
        settings = load_settings(splunkd, cfg)
    except (ConfigError, SplunkdConfigError) as exc:
        log.error(kv(action="config_error", input=cfg.name, detail=str(exc)))
        err.write(f"ERROR sqs_s3_audit://{one_line(cfg.name)}: {one_line(redactor.redact(str(exc)))}\n")
        return 1
    for secret in settings.secrets():
        redactor.add(secret)
    log = setup_logger(cfg.name, settings.level, redactor)
    log.info(kv(action="configured", version=__version__, input=cfg.name, account=cfg.account,
                iam_role=cfg.iam_role or None, role_arn=settings.role.role_arn if settings.role else None,
                bucket_iam_role=cfg.bucket_iam_role or None,
                bucket_role_arn=settings.bucket_role.role_arn if settings.bucket_role else None,
                queue=cfg.sqs_queue_url, region=cfg.region,
                proxy=settings.proxy.display() if settings.proxy.enabled else None,
                default_credentials=settings.account.uses_default_chain or None))

    writer = XmlEventWriter(out_binary, f"{SCHEME_NAME}://{cfg.name}", cfg.index, cfg.host)
    writer.open()
    checkpoint_dir = header.get("checkpoint_dir") or os.path.join(os.getcwd(), "checkpoints")
    status = {"code": 0}
    built: Dict[str, InputParts] = {}

    def collect() -> None:
        backoff = 1.0
        errors = ErrorReporter(log)
        while not stop.is_set():
            try:
                parts = build_input(cfg, settings, sink=writer, log=log, checkpoint_dir=checkpoint_dir, stop=stop)
                built["parts"] = parts
                break
            except AwsCallError as exc:  # e.g. the role cannot be assumed (yet)
                errors.report(exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
            except ConfigError as exc:
                log.error(kv(action="config_error", input=cfg.name, detail=str(exc)))
                status["code"] = 1
                stop.set()
                return
        else:
            return
        if parts.backfill is not None:
            threading.Thread(target=parts.backfill.run, args=(stop,), name="backfill", daemon=True).start()
        try:
            parts.collector.run(stop, shutdown_grace=5.0)
        except Exception:  # never a silent exit: say what broke, exit non-zero, splunkd restarts it
            log.exception(kv(action="collector_failed"))
            status["code"] = 1
            stop.set()

    thread = threading.Thread(target=collect, name="collector", daemon=True)
    thread.start()
    while thread.is_alive() and not stop.is_set():
        thread.join(0.5)
    thread.join(7.0)
    if thread.is_alive():
        log.warning(kv(action="stop_timeout",
                       detail="workers still busy; their messages come back after the visibility timeout"))
    if not writer.close(timeout=1.5):
        log.warning(kv(action="stdout_blocked", detail="splunkd is not reading the event stream; the batch being "
                                                       "written is not checkpointed and is written again next run"))
    if "parts" in built:
        built["parts"].checkpoint.close()
    log.info(kv(action="stopped", events_written=writer.events_written))
    return status["code"]


def main(argv: List[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    if argv and argv[0] == "--scheme":
        stdout.write(scheme_xml())
        stdout.flush()
        return 0
    text = stdin.read()
    if argv and argv[0] == "--validate-arguments":
        return validate(text, stdout)
    binary = getattr(stdout, "buffer", stdout)
    return run(text, binary, stderr)


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass


def entry() -> None:
    """Console entry used by ``bin/sqs_s3_audit.py``."""
    malloc_tuning.tune()  # large objects: megabyte buffers reused, not faulted in again
    code = main(sys.argv[1:], sys.stdin, sys.stdout, sys.stderr)
    # A worker blocked on a stdout nobody reads holds the stream's lock: flush aside, briefly.
    flusher = threading.Thread(target=_flush_stdout, name="flush-stdout", daemon=True)
    flusher.start()
    flusher.join(1.0)
    logging.shutdown()
    # Daemon threads blocked in a network call must not hold the process open.
    os._exit(code)
