"""Thin Splunk adapters around ``sqs_s3_audit_engine``.

- :mod:`.modinput`        the modular input protocol (scheme, validation, run)
- :mod:`.splunkd_config`  account, role, proxy and log level from splunkd's REST API
- :mod:`.event_writer`    the XML event stream on stdout
- :mod:`.logs`            the per-input log file, with secrets redacted
"""
