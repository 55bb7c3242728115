"""Event type searches and tags.

The search language of an event type is reduced to what eventtypes.conf uses:
``field=value`` and ``field!=value`` (values matched case-insensitively, ``*`` a
wildcard), ``NOT``, ``OR``, implicit or explicit ``AND`` and parentheses. As in Splunk,
``field=value`` and ``field!=value`` are both false when the event has no such field, so
``NOT field=value`` is TRUE for an event without the field. Free-text terms, pipes and
comparison operators other than = and != raise :class:`~ko.conf.Unsupported`.
"""

import re

from .conf import Unsupported
from .lookups import wild_to_re

_SEARCH_TOKEN = re.compile(
    r'\s*(\(|\)|[^\s()"=!]+!?=(?:"[^"]*"|[^\s()]+)|"[^"]*"|[^\s()]+)'
)


def _tokenize_search(search):
    pos, out = 0, []
    search = search.strip()
    while pos < len(search):
        m = _SEARCH_TOKEN.match(search, pos)
        if not m:
            raise Unsupported(f"cannot tokenize search at {search[pos:]!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def parse_search(search):
    """Parse the eventtype search subset: field=value, field!=value,
    NOT, OR, implicit/explicit AND, parentheses. Returns an AST."""
    tokens = _tokenize_search(search)
    pos = [0]

    def peek():
        return tokens[pos[0]] if pos[0] < len(tokens) else None

    def take():
        tok = tokens[pos[0]]
        pos[0] += 1
        return tok

    def or_():
        node = and_()
        while peek() == "OR":
            take()
            node = ("or", node, and_())
        return node

    def and_():
        node = not_()
        while peek() not in (None, ")", "OR"):
            if peek() == "AND":
                take()
            node = ("and", node, not_())
        return node

    def not_():
        if peek() == "NOT":
            take()
            return ("not", not_())
        return primary()

    def primary():
        tok = take()
        if tok == "(":
            node = or_()
            if take() != ")":
                raise Unsupported("missing ) in search")
            return node
        m = re.match(r'^([^\s()"=!]+)(!?=)(.*)$', tok)
        if m:
            value = m.group(3)
            if value.startswith('"') and value.endswith('"'):
                value = value[1:-1]
            if m.group(1) in ("eventtype", "tag") or m.group(1).startswith("tag::"):
                raise Unsupported(f"search term {tok!r}: event types and tags are not searchable here")
            return ("term", m.group(1), m.group(2), value)
        raise Unsupported(f"search term {tok!r} (only field=value, field!=value, NOT, OR, AND, parentheses)")

    node = or_()
    if pos[0] != len(tokens):
        raise Unsupported(f"trailing tokens in search: {tokens[pos[0]:]}")
    return node


def search_field_refs(node, out=None):
    if out is None:
        out = set()
    if node[0] == "term":
        out.add(node[1])
    elif node[0] in ("and", "or"):
        search_field_refs(node[1], out)
        search_field_refs(node[2], out)
    elif node[0] == "not":
        search_field_refs(node[1], out)
    return out


def search_matches(node, fields):
    kind = node[0]
    if kind == "and":
        return search_matches(node[1], fields) and search_matches(node[2], fields)
    if kind == "or":
        return search_matches(node[1], fields) or search_matches(node[2], fields)
    if kind == "not":
        return not search_matches(node[1], fields)
    _, name, op, value = node
    have = fields.get(name)
    if have is None:
        return False
    values = have if isinstance(have, list) else [have]
    rx = wild_to_re(value, case_sensitive=False)
    hit = any(rx.match(str(v)) for v in values)
    return hit if op == "=" else not hit




def event_types(eventtypes, fields):
    """Names of the event types (eventtypes.conf stanzas) whose search matches."""
    out = []
    for name, stanza in eventtypes.items():
        if name == "default":
            continue
        unknown = set(stanza) - {"search", "description", "priority", "color", "disabled", "tags"}
        if unknown:
            raise Unsupported(f"eventtypes.conf keys {sorted(unknown)} in [{name}]")
        if stanza.get("tags"):
            raise Unsupported(f"tags = in eventtypes.conf [{name}] (tags belong in tags.conf)")
        if str(stanza.get("disabled", "0")).lower() in ("1", "true"):
            continue
        if search_matches(parse_search(stanza["search"]), fields):
            out.append(name)
    return out


def tags_for(tags_conf, fields):
    """Tags of an event: tags.conf stanzas are ``[<field>=<value>]`` (eventtype= among
    them); an enabled tag applies when the event has that field value."""
    out = set()
    for header, stanza in tags_conf.items():
        if "=" not in header:
            raise Unsupported(f"tags.conf stanza [{header}]")
        field, value = header.split("=", 1)
        have = fields.get(field)
        values = have if isinstance(have, list) else [have]
        if have is None or value not in [str(v) for v in values]:
            continue
        for tag, state in stanza.items():
            if state not in ("enabled", "disabled"):
                raise Unsupported(f"tags.conf [{header}] {tag} = {state}")
            if state == "enabled":
                out.add(tag)
    return sorted(out)
