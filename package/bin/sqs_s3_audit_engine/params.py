"""Parsing helpers for parameters given as strings (inputs, accounts, roles, the proxy).

Each raises :class:`.errors.ConfigError` naming the parameter as the admin sees it in
Splunk Web; :mod:`.config` (the input's parameters) and :mod:`.accounts` (accounts, roles,
the proxy) use them.
"""

from __future__ import annotations

from typing import Mapping
from urllib.parse import urlparse

from .endpoints import refuse_plain_http
from .errors import ConfigError

__all__ = ["int_param", "url_param", "is_true"]


def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """``params[name]`` as a whole number in ``low``-``high``; ``default`` when empty."""
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a whole number ({low}-{high})") from None
    if not low <= value <= high:
        raise ConfigError(name, f"{value} is out of range ({low}-{high})")
    return value


def url_param(params: Mapping[str, str], name: str) -> str:
    """``params[name]`` as an endpoint URL (``https://host[:port]``); "" when empty."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return ""
    parsed = urlparse(raw)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ConfigError(name, f"{raw!r} is not an endpoint URL (expected https://host[:port])")
    refuse_plain_http(name, raw)
    return raw


def is_true(raw: object) -> bool:
    """A Splunk boolean (``1``, ``true``, ``yes``, ``t``, ``y``, ``on``; any case)."""
    return str(raw or "").strip().lower() in ("1", "true", "yes", "t", "y", "on")
