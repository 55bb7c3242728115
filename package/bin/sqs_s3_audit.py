#!/usr/bin/env python
"""Modular input ``sqs_s3_audit``: SQS-notified S3 audit log collection.

splunkd runs this script with the standard modular input protocol (``--scheme``,
``--validate-arguments``, or the input configuration XML on stdin). The work is done
by ``sqs_s3_audit_engine``; ``sqs_s3_audit_splunk`` adapts it to splunkd.
"""

import os
import sys

_BIN = os.path.dirname(os.path.abspath(__file__))
for _path in (os.path.join(os.path.dirname(_BIN), "lib"), _BIN):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from sqs_s3_audit_splunk.modinput import entry

if __name__ == "__main__":
    entry()
