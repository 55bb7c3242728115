"""The doctor: checks of one input's AWS side, each saying what to change when it does not pass.

- :mod:`.results`: :class:`~.results.CheckResult` and PASS / WARN / FAIL;
- :mod:`.access`: credentials (``sts:GetCallerIdentity``) and roles (``sts:AssumeRole``);
- :mod:`.checks`: the queue, a waiting object, CloudTrail public keys, and :func:`~.checks.run_checks`;
- :mod:`.bucket_checks`: the bucket's own role (``bucket_iam_role``) and the backfill listing;
- :mod:`.table_checks`: the shared checkpoint table.

Used by ``bin/sqs_s3_audit_doctor.py`` and the checks on save (``sqs_s3_audit_splunk.save_checks``).
"""
