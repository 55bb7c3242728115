"""Exception types of the engine. Each message names the thing that is wrong."""

from __future__ import annotations

__all__ = [
    "EngineError",
    "ConfigError",
    "NotificationError",
    "ObjectError",
    "AwsCallError",
    "StopRequested",
]


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class ConfigError(EngineError):
    """An input parameter is invalid.

    Attributes:
        parameter: the parameter name as the admin sees it (``sqs_queue_url``...).
    """

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class NotificationError(EngineError):
    """An SQS message body is not a notification the add-on understands."""


class ObjectError(EngineError):
    """An S3 object could not be read or decoded.

    Attributes:
        bucket, key: the object.
        reason: short machine-friendly cause (``NoSuchKey``, ``AccessDenied``,
            ``truncated_gzip``, ``invalid_json``, ``binary_content``...).
        retryable: True when reading the object again later may succeed.
    """

    def __init__(self, bucket: str, key: str, reason: str, detail: str, retryable: bool = False):
        super().__init__(f"s3://{bucket}/{key}: {reason}: {detail}")
        self.bucket = bucket
        self.key = key
        self.reason = reason
        self.detail = detail
        self.retryable = retryable


class AwsCallError(EngineError):
    """An AWS API call failed; carries the call name and AWS error code.

    Attributes:
        call: ``sqs:ReceiveMessage``, ``sts:AssumeRole``...
        code: AWS error code (``AccessDenied``...) or the exception class name.
        retryable: True for throttling, 5xx and connection errors.
    """

    def __init__(self, call: str, code: str, message: str, retryable: bool, hint: str = ""):
        text = f"{call} failed: {code}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)
        self.call = call
        self.code = code
        self.retryable = retryable
        self.hint = hint


class StopRequested(EngineError):
    """Raised inside a worker when the input is shutting down mid-object."""
