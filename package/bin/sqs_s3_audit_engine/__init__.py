"""SQS-notified S3 audit log collection, free of any Splunk import.

The stages, each in its own module:

1. :mod:`.notifications`  SQS message bodies -> the objects they name
2. :mod:`.objects`        an object's bytes, streamed, gzip sniffed by content
3. :mod:`.logtypes`       the log-type table: one module per type (detect, decode, time),
                          over the streaming decoders of :mod:`.decoders`
4. :mod:`.events`         one object from position N -> ``(time, data)`` events
5. :mod:`.delivery`       batches to the event sink, checkpoint advanced after each;
   :mod:`.ingest`         one object: lease -> GetObject -> events -> delivery -> its fate
6. :mod:`.collector`      the SQS loop, workers and the fate of every message
                          (:mod:`.fates`, :mod:`.receiving`, :mod:`.visibility`)

Around them: :mod:`.config` (validated parameters), :mod:`.interfaces` (the queue, object
store and checkpoint as Protocols), :mod:`.aws_clients` (sessions, role, proxy, every
client), :mod:`.aws` (the AWS implementations), :mod:`.retry` (the retry policy), :mod:`.metrics`, :mod:`.queue_watch`,
:mod:`.backfill`, :mod:`.sns`, :mod:`.wiring` (the one place an input's parts are built)
and :mod:`.doctor` (the checks, after everything else).

The Splunk side (modular input protocol, splunkd REST, XML event stream) lives in
``sqs_s3_audit_splunk`` and only calls into this package.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
