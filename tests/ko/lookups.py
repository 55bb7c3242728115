"""CSV lookups (transforms.conf ``filename`` stanzas) and ``LOOKUP-`` specifications."""

import csv
import os
import re

from .conf import LOOKUP_DIR, Unsupported, is_true

#: transforms.conf keys of a CSV lookup that the emulation implements.
LOOKUP_KEYS = {"filename", "match_type", "max_matches", "min_matches", "case_sensitive_match",
               "default_match"}


def read_lookup(filename, directory=LOOKUP_DIR):
    with open(os.path.join(directory, filename), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader if r]
    return header, rows


def wild_to_re(pattern, case_sensitive):
    rx = "^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$"
    return re.compile(rx, re.DOTALL if case_sensitive else re.IGNORECASE | re.DOTALL)


def wildcard_fields(stanza):
    spec = stanza.get("match_type", "")
    rest = re.sub(r"WILDCARD\(\s*[^)\s]+\s*\)", "", spec).replace(",", "").strip()
    if rest:
        raise Unsupported(f"match_type {spec!r} (only WILDCARD(field))")
    return set(re.findall(r"WILDCARD\(\s*([^)\s]+)\s*\)", spec))


def lookup_match(stanza, inputs):
    """Rows of a transforms lookup stanza matching ``inputs`` ({csv column: value})."""
    unknown = set(stanza) - LOOKUP_KEYS
    if unknown:
        raise Unsupported(f"lookup keys {sorted(unknown)}")
    _, rows = read_lookup(stanza["filename"])
    wild = wildcard_fields(stanza)
    case_sensitive = is_true(stanza.get("case_sensitive_match"), "true")
    max_matches = int(stanza.get("max_matches", "1000"))
    matches = []
    for row in rows:
        ok = True
        for col, value in inputs.items():
            want = row.get(col, "")
            if col in wild:
                if not wild_to_re(want, case_sensitive).match(value):
                    ok = False
                    break
            elif (want != value) if case_sensitive else (want.lower() != value.lower()):
                ok = False
                break
        if ok:
            matches.append(row)
            if len(matches) >= max_matches:
                break
    return matches


def parse_lookup_spec(spec):
    """``name in1 [AS f1] ... OUTPUT|OUTPUTNEW out1 [AS f1] ...`` ->
    (name, [(csv_col, event_field)], mode, [(csv_col, event_field)])."""
    tokens = spec.replace(",", " ").split()
    name = tokens[0]
    inputs, outputs, mode = [], [], None
    target = inputs
    i = 1
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("OUTPUT", "OUTPUTNEW"):
            if mode is not None:
                raise Unsupported(f"two OUTPUT clauses in {spec!r}")
            mode = tok
            target = outputs
            i += 1
            continue
        if i + 2 < len(tokens) + 1 and i + 1 < len(tokens) and tokens[i + 1].upper() == "AS":
            target.append((tok, tokens[i + 2]))
            i += 3
        else:
            target.append((tok, tok))
            i += 1
    if mode is None:
        raise Unsupported(f"LOOKUP without OUTPUT/OUTPUTNEW: {spec!r} (all columns) is not emulated")
    return name, inputs, mode, outputs


def apply_lookup(transforms, spec, fields):
    """One ``LOOKUP-`` of props.conf applied to ``fields`` in place.

    The event's value of each input field is looked up; with no matching row, OUTPUT
    clears the output fields and OUTPUTNEW leaves them. OUTPUTNEW writes only fields
    the event does not have yet. A multivalue input is not emulated.
    """
    name, inputs, mode, outputs = parse_lookup_spec(spec)
    stanza = transforms[name]
    if "filename" not in stanza:
        raise Unsupported(f"lookup {name} is not a CSV file lookup")
    if any(fields.get(f) is None for _, f in inputs):
        return
    if any(isinstance(fields[f], list) for _, f in inputs):
        raise Unsupported(f"multivalue input to lookup {name}")
    query = {col: _text(fields[f]) for col, f in inputs}
    rows = lookup_match(stanza, query)
    for col, dst in outputs:
        if mode == "OUTPUTNEW" and dst in fields:
            continue
        value = rows[0].get(col, "") if rows else ""
        if value == "":
            if mode == "OUTPUT":
                fields.pop(dst, None)
        else:
            fields[dst] = value


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
