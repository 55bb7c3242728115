"""ARNs as error messages and checks name them, with the partition rule written once.

The partition follows the region: ``aws-cn`` for ``cn-*``, ``aws-us-gov`` for ``us-gov-*``,
else ``aws`` (AWS's "Identify AWS resources with Amazon Resource Names (ARNs)",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
"""

from __future__ import annotations

__all__ = ["partition", "arn"]


def partition(region: str) -> str:
    """The ARN partition of ``region``."""
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def arn(service: str, region: str, account: str, resource: str) -> str:
    """``arn:<partition>:<service>:<region>:<account>:<resource>``."""
    return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"
