"""REPORT / EXTRACT transforms, run on PCRE2 (the regular expression engine Splunk uses).

Python's ``re`` and PCRE2 differ (possessive quantifiers, atomic groups, ``\\h``,
Unicode classes, ``(?<name>...)``), so nothing is converted: every pattern is compiled
by the ``pcre2`` binding exactly as written in the .conf file.
"""

import functools
import re

import pcre2

from .conf import Unsupported, is_true

#: transforms.conf keys of a search-time REGEX transform that the emulation implements.
TRANSFORM_KEYS = {"REGEX", "FORMAT", "SOURCE_KEY", "CLEAN_KEYS", "MV_ADD", "KEEP_EMPTY_VALS"}
_FORMAT_PAIR = re.compile(r"^(\$\d+|[A-Za-z_][A-Za-z0-9_.]*)::(\$\d+|[^\s$]*)$")


@functools.lru_cache(maxsize=None)
def compile_pcre(pattern):
    """Compile a Splunk regular expression with PCRE2 (raises pcre2.PatternError)."""
    return pcre2.compile(pattern)


def clean_key(name):
    """Splunk CLEAN_KEYS: non-alphanumerics become '_', leading '_' and digits go."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name).lstrip("_0123456789")


def add_value(fields, name, value, mv_add):
    """Set a field the way a search-time extraction does: the first value wins unless
    MV_ADD, which makes the field multivalue."""
    if value is None:
        return
    if name not in fields:
        fields[name] = value
    elif mv_add:
        existing = fields[name]
        fields[name] = (existing if isinstance(existing, list) else [existing]) + [value]


def _format_pairs(fmt):
    pairs = []
    for part in fmt.split():
        m = _FORMAT_PAIR.match(part)
        if not m:
            raise Unsupported(f"FORMAT element {part!r} (only <name>::<value> with $n or literals)")
        pairs.append((m.group(1), m.group(2)))
    return pairs


def _substitute(template, match):
    return re.sub(r"\$(\d+)", lambda g: match.group(int(g.group(1))) or "", template)


def apply_transform(stanza, fields):
    """Apply one transforms.conf REGEX stanza (search time) to ``fields`` in place.

    Returns the {field: value} pairs this transform extracted.
    """
    unknown = set(stanza) - TRANSFORM_KEYS
    if unknown:
        raise Unsupported(f"transforms.conf keys {sorted(unknown)} in a search-time transform")
    source_key = stanza.get("SOURCE_KEY", "_raw")
    if source_key.startswith("MetaData:") or source_key.startswith("_meta"):
        raise Unsupported(f"SOURCE_KEY = {source_key}")
    text = fields.get(source_key)
    if text is None:
        return {}
    if isinstance(text, list):
        raise Unsupported(f"SOURCE_KEY {source_key} is multivalue")
    regex = compile_pcre(stanza["REGEX"])
    if any(n.startswith(("_KEY_", "_VAL_")) for n in regex.groupindex):
        raise Unsupported("_KEY_n / _VAL_n groups")
    clean = is_true(stanza.get("CLEAN_KEYS"), "true")
    mv_add = is_true(stanza.get("MV_ADD"))
    keep_empty = is_true(stanza.get("KEEP_EMPTY_VALS"))
    fmt = stanza.get("FORMAT")
    pairs = _format_pairs(fmt) if fmt else None
    if pairs is None and not regex.groupindex:
        raise Unsupported(f"REGEX without named groups and without FORMAT: {stanza['REGEX']!r}")
    extracted = {}
    for m in regex.finditer(str(text)):
        if pairs is None:
            found = [(n, v) for n, v in m.groupdict().items() if v is not None]
        else:
            found = []
            for name_t, value_t in pairs:
                name = _substitute(name_t, m)
                found.append((clean_key(name) if clean else name, _substitute(value_t, m)))
        for name, value in found:
            if not name or (value == "" and not keep_empty):
                continue
            add_value(extracted, name, value, mv_add)
        if m.end() == m.start():  # an empty match would repeat forever
            break
    for name, value in extracted.items():
        add_value(fields, name, value, mv_add)
    return extracted


def parse_inline_extract(value):
    """``EXTRACT-<class> = <regex> [in <field>]`` -> transform stanza."""
    m = re.match(r"^(.*?)(?:\s+in\s+([A-Za-z_][\w.{}]*))?$", value, re.DOTALL)
    stanza = {"REGEX": m.group(1)}
    if m.group(2):
        stanza["SOURCE_KEY"] = m.group(2)
    return stanza


def pcre_search(pattern, text):
    """Eval match(): true when ``pattern`` matches anywhere in ``text``."""
    return compile_pcre(pattern).search(text) is not None


def pcre_replace(text, pattern, replacement):
    """Eval replace(): every match replaced, ``\\n`` in the replacement is group n."""
    rx = compile_pcre(pattern)
    out, pos = [], 0
    for m in rx.finditer(text):
        out.append(text[pos:m.start()])
        out.append(re.sub(r"\\(\d)", lambda g, m=m: m.group(int(g.group(1))) or "", replacement))
        pos = m.end()
        if m.end() == m.start():
            break
    out.append(text[pos:])
    return "".join(out)
