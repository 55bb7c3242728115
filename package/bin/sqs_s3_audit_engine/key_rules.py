"""Routing by key: ``log_type_rules``.

One rule per line, ``<regex> => <log type>``; the first rule whose regex matches the key
(anywhere: a search) decides the object's log type, and keys no rule matches use the
input's ``log_type``. Empty lines and lines starting with ``#`` are comments. The regex
may itself contain ``=>``: a line is split at its last ``=>``.

A rule's regex runs on every key, and keys come from whoever writes the bucket, so the
regexes run on the same linear-time automaton as ``key_include_regex`` and
``key_exclude_regex`` (:mod:`.key_filter`): a search costs at most ``len(key) x states``
steps, whatever the regex (``(a+)+$`` and ``.*a.*a.*b`` included), on keys up to S3's
1,024 bytes. Constructs an automaton cannot run (backreferences, lookarounds,
conditional and atomic groups, ``\\b``, ``(?m)``) are refused with the line number.
"""

from __future__ import annotations

from typing import Sequence, Tuple

from .errors import ConfigError
from .key_filter import KeyFilter, compile_key_filter

__all__ = ["Rule", "parse_rules", "route"]

Rule = Tuple[KeyFilter, str]


def parse_rules(text: str, log_types: Sequence[str], parameter: str = "log_type_rules") -> Tuple[Rule, ...]:
    """Parse ``log_type_rules``: a tuple of ``(compiled regex, log type)`` in order.

    Raises:
        ConfigError: naming ``parameter`` and the line number of the first bad line (no
            ``=>``, an empty or invalid regex, one the automaton cannot run, a log type
            not in ``log_types``).
    """
    rules = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"line {number}: "
        regex, arrow, log_type = stripped.rpartition("=>")
        regex, log_type = regex.strip(), log_type.strip()
        if not arrow:
            raise ConfigError(parameter, f"{where}{stripped!r} is not a rule: write <regex> => <log type>, "
                                         "e.g. /CloudTrail/ => cloudtrail")
        if not regex:
            raise ConfigError(parameter, f"{where}the rule has no regex before =>")
        if log_type not in log_types:
            raise ConfigError(parameter, f"{where}{log_type!r} is not a log type: use one of "
                                         f"{', '.join(log_types)}")
        try:
            compiled = compile_key_filter(regex, parameter)
        except ConfigError as exc:
            detail = str(exc)[len(parameter) + 2:]  # the message without its "<parameter>: " prefix
            raise ConfigError(parameter, where + detail) from None
        rules.append((compiled, log_type))
    return tuple(rules)


def route(rules: Sequence[Rule], key: str, default: str) -> str:
    """The log type of ``key``: the first rule that matches it, else ``default``."""
    for regex, log_type in rules:
        if regex.search(key):
            return log_type
    return default
