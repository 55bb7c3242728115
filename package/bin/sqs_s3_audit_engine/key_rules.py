"""Routing by key: ``log_type_rules``, and the bound on regex time they rely on.

``log_type_rules`` holds one rule per line, ``<regex> => <log type>``; the first rule
whose regex matches the key (anywhere: ``re.search``) decides the object's log type,
and keys no rule matches use the input's ``log_type``. Empty lines and lines starting
with ``#`` are comments.

Python's ``re`` backtracks and has no time limit, so a regex run on every key must not
be able to take exponential (or high-polynomial) time on a hostile key. S3 keys are at
most 1,024 bytes (notifications naming a longer key are refused before any regex runs),
and :func:`check_bounded` refuses the constructs that make a backtracking engine slow
on such inputs:

- a repeat (``*``, ``+``, ``{m,n}`` with n > 1) whose body itself repeats or alternates
  (``(a+)+``, ``(a|ab)*``): exponential;
- a worst-case degree above :data:`MAX_DEGREE`: each unbounded repeat (``.*``, ``+``,
  ``{n,}``, ``{m,n}`` spanning more than 4) counts one, and a regex not anchored with
  ``^`` counts one more (``search`` tries every start). Degree 2 is at most about a
  million steps on a 1,024-byte key (milliseconds); degree 3 already takes about a
  second (``.*a.*b`` on ``aaaa...``), degree 4 about a minute;
- backreferences (``\\1``) and conditional groups: no polynomial bound at all.

The unit tests time the worst regex these rules accept on 1,024-byte keys.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional, Sequence, Tuple

from .errors import ConfigError
from .key_filter import _c as _sre_constants  # re's parser, imported per Python version there
from .key_filter import _sre_parse

__all__ = ["MAX_DEGREE", "Rule", "check_bounded", "parse_rules", "route"]

#: The highest worst-case degree accepted (see the module docstring).
MAX_DEGREE = 2
#: A counted repeat ``{m,n}`` spanning more than this counts as unbounded.
_BIG_REPEAT = 4

_REPEATS = {_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT}
_POSSESSIVE = getattr(_sre_constants, "POSSESSIVE_REPEAT", None)
_BRANCHING = {_sre_constants.BRANCH}
_REFUSED = {_sre_constants.GROUPREF, _sre_constants.GROUPREF_EXISTS}
_SUBPATTERN = _sre_constants.SUBPATTERN
_IN = _sre_constants.IN
_ATOMIC = getattr(_sre_constants, "ATOMIC_GROUP", None)
_ASSERTS = {_sre_constants.ASSERT, _sre_constants.ASSERT_NOT}

Rule = Tuple["re.Pattern[str]", str]


class _Unbounded(Exception):
    pass


def _children(op, av) -> Iterable:
    """The sub-patterns of one parsed node."""
    if op in _REPEATS or (_POSSESSIVE is not None and op == _POSSESSIVE):
        yield av[2]
    elif op == _SUBPATTERN:
        yield av[-1]
    elif op in _BRANCHING:
        yield from av[1]
    elif op in _ASSERTS:
        yield av[1]
    elif _ATOMIC is not None and op == _ATOMIC:
        yield av


def _varies(pattern) -> bool:
    """True when a sub-pattern can match in more than one way (repeats or alternates)."""
    for op, av in pattern:
        if op in _REFUSED:
            raise _Unbounded("backreferences and conditional groups have no time bound")
        if op in _BRANCHING:
            return True
        if op in _REPEATS and av[1] != av[0]:
            return True
        if any(_varies(child) for child in _children(op, av)):
            return True
    return False


def _walk(pattern, counter: list) -> None:
    for op, av in pattern:
        if op in _REFUSED:
            raise _Unbounded("backreferences and conditional groups have no time bound")
        if op in _REPEATS:
            low, high, body = av
            if high is _sre_constants.MAXREPEAT or high - low > _BIG_REPEAT:
                counter[0] += 1
            if high != low and high > 1 and _varies(body):
                raise _Unbounded("a repeated group that itself repeats or alternates (like (a+)+ or (a|ab)*) "
                                 "can take exponential time")
        for child in _children(op, av):
            _walk(child, counter)


def _anchored(pattern) -> bool:
    if not len(pattern):
        return False
    op, av = pattern[0]
    return op == _sre_constants.AT and av in (_sre_constants.AT_BEGINNING, _sre_constants.AT_BEGINNING_STRING)


def check_bounded(text: str) -> Optional[str]:
    """None when ``text`` is a regex whose time on a 1,024-byte key is bounded, else why not.

    Raises:
        re.error: ``text`` is no regular expression.
    """
    parsed = _sre_parse.parse(text)
    counter = [0 if _anchored(parsed) else 1]
    try:
        _walk(parsed, counter)
    except _Unbounded as exc:
        return str(exc)
    if counter[0] > MAX_DEGREE:
        return (f"{counter[0] - (0 if _anchored(parsed) else 1)} unbounded repeats (.*, +, {{n,}}) can take seconds "
                "on a 1,024-byte key: use at most one when the regex does not start with ^ (a leading .* is never "
                "needed: the regex matches anywhere in the key), two when it does")
    return None


def _compile(parameter: str, text: str, where: str = "") -> "re.Pattern[str]":
    try:
        compiled = re.compile(text)
        why = check_bounded(text)
    except (re.error, OverflowError, RecursionError) as exc:
        raise ConfigError(parameter, f"{where}{text!r} is not a valid regular expression: {exc}") from None
    if why is not None:
        raise ConfigError(parameter, f"{where}{text!r} is refused: {why}; write it without nesting")
    return compiled


def parse_rules(text: str, log_types: Sequence[str], parameter: str = "log_type_rules") -> Tuple[Rule, ...]:
    """Parse ``log_type_rules``: a tuple of ``(compiled regex, log type)`` in order.

    Raises:
        ConfigError: naming ``parameter`` and the line number of the first bad line (no
            ``=>``, an empty or invalid or unbounded regex, a log type not in ``log_types``).
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
        rules.append((_compile(parameter, regex, where), log_type))
    return tuple(rules)


def route(rules: Sequence[Rule], key: str, default: str) -> str:
    """The log type of ``key``: the first rule that matches it, else ``default``."""
    for regex, log_type in rules:
        if regex.search(key):
            return log_type
    return default
