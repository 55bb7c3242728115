"""``key_include_regex`` / ``key_exclude_regex`` matched in time linear in the key.

Python's ``re`` backtracks: ``.*.*.*x`` takes about a minute on a 1,024-byte key, and a
nested repeat such as ``(a+)+$`` doubles its time with each character, all inside one call
that holds the GIL (no lease renewal, no visibility extension, no SIGTERM handling). Keys
come from whoever writes the bucket or sends to the queue, so the filters run here on a
Thompson automaton instead (Russ Cox, "Regular Expression Matching Can Be Simple And
Fast", https://swtch.com/~rsc/regexp/regexp1.html): the pattern is parsed by Python's own
regex parser, each single-character item (literal, class, ``.``, ``\\d``, flags included)
is matched by ``re`` itself on that one character, so the language accepted is ``re``'s,
and the search advances the set of automaton states one character at a time. A search
costs at most ``len(key) x states`` steps (states: at most :data:`MAX_STATES`), with
transitions memoised, so the usual key costs a dictionary lookup per character.

Constructs a backtracking engine needs and an automaton cannot have (backreferences,
lookarounds, conditionals, atomic groups, possessive repeats, ``\\b``, ``(?m)``) are
refused when the parameter is validated, naming it.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Callable, Dict, FrozenSet, List, Optional, Tuple

from .errors import ConfigError

# re's own parser and compiler: re._parser etc. from 3.11, sre_parse etc. before (deprecated
# aliases since). Imported by name so each Python loads only the modules it has.
_sre_parse, _sre_compile, _c = (importlib.import_module(name) for name in (
    ("re._parser", "re._compiler", "re._constants") if sys.version_info >= (3, 11)
    else ("sre_parse", "sre_compile", "sre_constants")))

__all__ = ["KeyFilter", "compile_key_filter", "MAX_STATES"]

#: cap on automaton states (a pattern needing more, e.g. ``(a{1,100}){1,100}``, is refused)
MAX_STATES = 1000
_MEMO_LIMIT = 50_000

_CHAR, _SPLIT, _AT, _MATCH = 0, 1, 2, 3
_AT_START = {_c.AT_BEGINNING, _c.AT_BEGINNING_STRING}
_AT_END_ANY = {_c.AT_END}  # $: at the end, or before a final newline
_AT_END_STRING = {_c.AT_END_STRING}
_SINGLE = {_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN}
_UNSUPPORTED = {
    _c.GROUPREF: "a backreference", _c.GROUPREF_EXISTS: "a conditional group", _c.ASSERT: "a lookahead/lookbehind",
    _c.ASSERT_NOT: "a negative lookahead/lookbehind",
}
for _name, _why in (("ATOMIC_GROUP", "an atomic group"), ("POSSESSIVE_REPEAT", "a possessive repeat")):
    if hasattr(_c, _name):
        _UNSUPPORTED[getattr(_c, _name)] = _why


class _TooLarge(Exception):
    pass


class _Builder:
    """Builds the automaton as node lists; each node: (kind, argument, next, other)."""

    def __init__(self, state):
        self.state = state
        self.kind: List[int] = []
        self.arg: list = []
        self.next: List[int] = []
        self.other: List[int] = []
        self._singles: Dict[tuple, Callable[[str], bool]] = {}

    def node(self, kind: int, arg=None, nxt: int = -1, other: int = -1) -> int:
        if len(self.kind) >= MAX_STATES:
            raise _TooLarge()
        self.kind.append(kind)
        self.arg.append(arg)
        self.next.append(nxt)
        self.other.append(other)
        return len(self.kind) - 1

    def single(self, item, flags: int) -> Callable[[str], bool]:
        """``re``'s own match of one single-character item, so classes and flags mean what they mean in re."""
        key = (repr(item), flags)
        if key not in self._singles:
            sub = _sre_parse.SubPattern(self.state, [item])
            matcher = _sre_compile.compile(sub, flags).match
            self._singles[key] = lambda ch, m=matcher: m(ch) is not None
        return self._singles[key]

    def sequence(self, items, cont: int, flags: int) -> int:
        for item in reversed(list(items)):
            cont = self.item(item, cont, flags)
        return cont

    def item(self, item, cont: int, flags: int) -> int:
        op, av = item
        if op in _SINGLE:
            return self.node(_CHAR, self.single(item, flags), cont)
        if op is _c.SUBPATTERN:
            _group, add, remove, sub = av
            return self.sequence(sub, cont, (flags | add) & ~remove)
        if op is _c.BRANCH:
            starts = [self.sequence(alt, cont, flags) for alt in av[1]]
            entry = starts[-1]
            for start in reversed(starts[:-1]):
                entry = self.node(_SPLIT, None, start, entry)
            return entry
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, sub = av
            if high == _c.MAXREPEAT:
                loop = self.node(_SPLIT, None, -1, cont)
                self.next[loop] = self.sequence(sub, loop, flags)
                cont = loop
            else:
                for _ in range(high - low):
                    cont = self.node(_SPLIT, None, self.sequence(sub, cont, flags), cont)
            for _ in range(low):
                cont = self.sequence(sub, cont, flags)
            return cont
        if op is _c.AT:
            if av in _AT_START or av in _AT_END_ANY or av in _AT_END_STRING:
                return self.node(_AT, av, cont)
            raise ValueError("a word boundary (\\b, \\B) is not supported in a key filter")
        raise ValueError(f"{_UNSUPPORTED.get(op, op)} is not supported in a key filter")


class KeyFilter:
    """A compiled key filter: ``search(key)`` is true when the pattern matches anywhere in the key."""

    def __init__(self, pattern: str, builder: _Builder, start: int):
        self.pattern = pattern
        self._kind, self._arg, self._next, self._other = builder.kind, builder.arg, builder.next, builder.other
        self._start = start
        self._memo: Dict[Tuple[FrozenSet[int], str], FrozenSet[int]] = {}
        self._middle: Dict[FrozenSet[int], FrozenSet[int]] = {}

    def __repr__(self) -> str:
        return f"KeyFilter({self.pattern!r})"

    def _closure(self, seeds, pos: int, text: str) -> FrozenSet[int]:
        """States reachable without reading a character at ``pos`` (assertions decided there)."""
        kind, arg, nxt, other = self._kind, self._arg, self._next, self._other
        seen = set()
        stack = list(seeds)
        end = len(text)
        while stack:
            state = stack.pop()
            if state in seen:
                continue
            seen.add(state)
            k = kind[state]
            if k == _SPLIT:
                stack.append(nxt[state])
                stack.append(other[state])
            elif k == _AT:
                at = arg[state]
                if ((at in _AT_START and pos == 0) or (at in _AT_END_STRING and pos == end)
                        or (at in _AT_END_ANY and (pos == end or (pos == end - 1 and text[-1] == "\n")))):
                    stack.append(nxt[state])
        return frozenset(s for s in seen if kind[s] in (_CHAR, _MATCH))

    def search(self, text: str) -> bool:
        kind, arg, nxt = self._kind, self._arg, self._next
        end = len(text)
        current = self._closure((self._start,), 0, text)
        for pos, ch in enumerate(text, 1):
            if any(kind[s] == _MATCH for s in current):
                return True
            memo_key = (current, ch)
            following = self._memo.get(memo_key) if 0 < pos < end - 1 else None
            if following is None:
                moved = [nxt[s] for s in current if kind[s] == _CHAR and arg[s](ch)]
                moved.append(self._start)  # search: a match may start at any position
                following = self._closure(moved, pos, text)
                if 0 < pos < end - 1:  # no assertion can hold here: the step is the same for any key
                    if len(self._memo) >= _MEMO_LIMIT:
                        self._memo.clear()
                    self._memo[memo_key] = following
            current = following
        return any(kind[s] == _MATCH for s in current)


def compile_key_filter(raw: str, name: str) -> Optional[KeyFilter]:
    """The filter for parameter ``name`` (None when empty).

    Raises:
        ConfigError: naming ``name``: not a regular expression, or one using a construct
            that cannot run in linear time, or needing more than :data:`MAX_STATES` states.
    """
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        re.compile(raw)
        parsed = _sre_parse.parse(raw, 0)
    except re.error as exc:
        raise ConfigError(name, f"{raw!r} is not a valid regular expression: {exc}") from None
    flags = parsed.state.flags
    if flags & re.MULTILINE:
        raise ConfigError(name, f"{raw!r}: (?m) is not supported in a key filter (a key is one line)")
    builder = _Builder(parsed.state)
    try:
        start = builder.sequence(parsed, builder.node(_MATCH), flags)
    except ValueError as exc:
        raise ConfigError(name, f"{raw!r}: {exc} (key filters run in time linear in the key, which rules out "
                                "backreferences, lookarounds and word boundaries)") from None
    except _TooLarge:
        raise ConfigError(name, f"{raw!r} needs more than {MAX_STATES} states: use fewer or smaller {{m,n}} "
                                "repeats") from None
    return KeyFilter(raw, builder, start)
