"""The AWS error codes the add-on decides by, in one place.

``aws.wrap_error``/``aws.is_retryable`` (every AWS call), the doctor's checks
(``checks``), the CloudTrail public-key look-up (``integrity.public_keys``) and the checks
on save (``sqs_s3_audit_splunk.save_checks``) all use these sets. A code is the
``Error.Code`` of an AWS answer, or the botocore exception's class name when no answer
came (``EndpointConnectionError``...).
"""

from __future__ import annotations

__all__ = ["DENIED_CODES", "REJECTED_KEY_CODES", "MISSING_QUEUE_CODES", "UNREACHABLE_CODES", "RETRYABLE_CODES"]

#: the caller's policy (or a key or bucket policy) does not allow the call
DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "AuthorizationError", "403", "Forbidden",
    "AWS.SimpleQueueService.AccessDenied", "UnauthorizedOperation", "KMS.AccessDeniedException",
    "NotAuthorized", "UnauthorizedException", "OperationNotPermittedException",
})
#: the access key id or secret access key is not accepted
REJECTED_KEY_CODES = frozenset({
    "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId",
    "ExpiredToken",
})
#: the queue does not exist (or is in another region)
MISSING_QUEUE_CODES = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
#: no answer from AWS: the network, a proxy or an endpoint URL is at fault
UNREACHABLE_CODES = frozenset({
    "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ProxyConnectionError",
    "ConnectionClosedError", "SSLError", "HTTPClientError",
})
#: throttling and AWS-side failures: the same call may succeed later
RETRYABLE_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
    "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException", "InternalError", "InternalFailure",
    "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException", "KMS.ThrottlingException",
    "AWS.SimpleQueueService.ServiceUnavailable", "KMSInternalException",
})
