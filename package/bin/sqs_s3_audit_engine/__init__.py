"""SQS-notified S3 audit log collection, free of any Splunk import.

The stages, each in its own module:

- :mod:`.config`         validated input parameters
- :mod:`.notifications`  SQS message bodies -> object references
- :mod:`.aws`            sessions (role assumption, proxy, endpoints) and thin AWS wrappers
- :mod:`.objects`        streaming an object's bytes, gzip sniffed by content
- :mod:`.decoders`       bytes -> records (CloudTrail, JSON, OTLP, access logs, text)
- :mod:`.sourcetypes`    which sourcetype and timestamp a record gets
- :mod:`.checkpoint`     finished objects and progress into unfinished ones
- :mod:`.collector`      the receive loop, workers and the fate of every message
- :mod:`.metrics`        counters logged as key=value

The Splunk side (modular input protocol, splunkd REST, XML event stream) lives in
``sqs_s3_audit_splunk`` and only calls into this package.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
