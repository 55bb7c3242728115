"""SQS-notified S3 audit log collection, free of any Splunk import.

The stages, each in its own module:

1. :mod:`.notifications`  SQS message bodies -> the objects they name
2. :mod:`.objects`        an object's bytes, streamed, gzip sniffed by content
3. :mod:`.logtypes`       the log-type table: one module per type (detect, decode, time),
                          over the streaming decoders of :mod:`.decoders`
4. :mod:`.events`         one object from position N -> ``(time, data)`` events
5. :mod:`.delivery`       batches to the event sink, checkpoint advanced after each
6. :mod:`.collector`      the SQS loop, workers and the fate of every message
                          (:mod:`.visibility` keeps in-flight messages hidden)

Around them: :mod:`.config` (validated parameters), :mod:`.aws` (sessions, role, proxy,
thin wrappers), :mod:`.retry`, :mod:`.metrics`, :mod:`.queue_watch`, :mod:`.checks` (the
doctor's checks), :mod:`.backfill`, :mod:`.sns`, and :mod:`.wiring`, the one place an
input's parts are built.

The Splunk side (modular input protocol, splunkd REST, XML event stream) lives in
``sqs_s3_audit_splunk`` and only calls into this package.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
