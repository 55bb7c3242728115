"""Files AWS writes to check it may write to a log bucket: no records.

- AWS Config: ``AWSLogs/<account>/Config/ConfigWritabilityCheckFile``, when a delivery
  channel is set up;
- Elastic Load Balancing: ``AWSLogs/<account>/ELBAccessLogTestFile``, when access logging
  is enabled ("the test file is not an actual access log file").

An S3 event notification for one of them is handled like a CloudTrail digest with no
handler: skipped, logged at INFO, the message deleted.
"""

from __future__ import annotations

import re

from . import NOT_EVENT, LogType

__all__ = ["LOG_TYPE", "KEY"]

KEY = re.compile(r"(?:^|/)AWSLogs/(?:o-[a-z0-9]+/)?\d{12}/(?:Config/ConfigWritabilityCheckFile|ELBAccessLogTestFile)$")

LOG_TYPE = LogType(
    name="aws_test_file",
    sourcetype="sqs_s3_audit:text",
    title="AWS log bucket test file",
    decoder="lines",
    new_reader=lambda: (lambda _item: NOT_EVENT),
    key_pattern=KEY,
    selectable=False,
    whole_object=True,
)
