"""The endpoint rule: AWS traffic is encrypted unless it never leaves the machine.

Assumed-role sessions are signed with the account's credentials and objects carry the logs:
a plain ``http://`` endpoint would send both in the clear. ``http://`` is accepted only for
a loopback host (``localhost``, ``127.0.0.0/8``, ``::1``: a local emulator or stand-in).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlparse

from .errors import ConfigError

__all__ = ["is_loopback", "refuse_plain_http"]


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1``: traffic that never leaves the machine."""
    host = (host or "").strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_plain_http(name: str, url: str) -> None:
    """Credentials (assumed-role sessions are signed with them) and object data must not
    travel unencrypted: ``http://`` is allowed only to a loopback host (a local emulator)."""
    parsed = urlparse(url)
    if parsed.scheme.lower() == "http" and not is_loopback(parsed.hostname or ""):
        raise ConfigError(name, f"{url!r} is a plain http:// endpoint: use https:// (http:// is allowed only to "
                                "a loopback host: localhost, 127.0.0.0/8 or ::1)")
