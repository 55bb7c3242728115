"""Compatibility name for the knowledge-object emulation, which lives in tests/ko/.

``import ko_conf`` keeps working for tests written before the split; new tests import
``ko`` (or its modules) directly.
"""

from ko import *  # noqa: F403 - re-export of the package's public names
from ko import __all__ as _ko_all
from ko.pipeline import json_fields
from ko.samples import render_aws_log_samples, render_samples

__all__ = [*_ko_all, "json_fields", "render_aws_log_samples", "render_samples"]
