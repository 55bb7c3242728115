"""The search-time pipeline of one event, in Splunk's documented order.

"The sequence of search-time operations" (Splunk Knowledge Manager Manual): inline
field extraction (EXTRACT), transform extraction (REPORT), automatic key-value
extraction (KV_MODE), field aliases (FIELDALIAS), calculated fields (EVAL), lookups
(LOOKUP), event types, tags. Within EXTRACT and REPORT, classes run in ASCII order of
their class names; within one REPORT class, its transforms run left to right.
"""

import json
import re

from .conf import Unsupported, load_conf
from .evaluation import evaluate, parse_eval
from .lookups import apply_lookup, parse_lookup_spec
from .regex import apply_transform, parse_inline_extract
from .searches import event_types, tags_for

#: props.conf keys that act at index time (or describe the sourcetype) and therefore
#: leave the search-time fields of an already indexed event alone.
INDEX_TIME_KEYS = {
    "SHOULD_LINEMERGE", "LINE_BREAKER", "LINE_BREAKER_LOOKBEHIND", "TRUNCATE", "DATETIME_CONFIG",
    "TIME_PREFIX", "TIME_FORMAT", "MAX_TIMESTAMP_LOOKAHEAD", "TZ", "MAX_DAYS_AGO", "MAX_DAYS_HENCE",
    "MAX_DIFF_SECS_AGO", "MAX_DIFF_SECS_HENCE", "CHARSET", "NO_BINARY_CHECK", "ANNOTATE_PUNCT",
    "EVENT_BREAKER_ENABLE", "EVENT_BREAKER", "BREAK_ONLY_BEFORE", "BREAK_ONLY_BEFORE_DATE",
    "MUST_BREAK_AFTER", "MAX_EVENTS", "category", "description", "pulldown_type", "detect_trailing_nulls",
}
#: search-time props.conf settings the pipeline implements (classes end with "-<name>").
SEARCH_TIME_CLASSES = ("EXTRACT", "REPORT", "FIELDALIAS", "EVAL", "LOOKUP")
KV_MODES = ("none", "json")


def check_props_stanza(name, stanza):
    """Raise Unsupported on any props.conf key the emulation does not know."""
    for key, value in stanza.items():
        if key in INDEX_TIME_KEYS:
            continue
        if key == "KV_MODE":
            if value.lower() not in KV_MODES:
                raise Unsupported(f"[{name}] KV_MODE = {value}")
            continue
        if key == "INDEXED_EXTRACTIONS" and value.lower() == "json":
            continue
        if key.split("-", 1)[0] in SEARCH_TIME_CLASSES and "-" in key:
            continue
        raise Unsupported(f"props.conf [{name}] {key} (not emulated)")


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return v


def flatten_json(obj, prefix="", out=None):
    """Splunk JSON field naming: a.b for objects, a{}.b for arrays (multivalue).
    JSON null values make no field."""
    if out is None:
        out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten_json(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(obj, list):
        for item in obj:
            flatten_json(item, prefix + "{}", out)
    elif obj is not None:
        out.setdefault(prefix, []).append(_scalar(obj))
    return out


def json_fields(raw):
    flat = flatten_json(json.loads(raw))
    return {k: (v[0] if len(v) == 1 else v) for k, v in flat.items()}


def field_aliases(value):
    """``FIELDALIAS-<class> = <src> AS|ASNEW <dst> ...`` -> [(src, mode, dst)]."""
    pairs = re.findall(r'("[^"]+"|\S+)\s+(AS|ASNEW)\s+("[^"]+"|\S+)', value, re.IGNORECASE)
    rest = re.sub(r'("[^"]+"|\S+)\s+(AS|ASNEW)\s+("[^"]+"|\S+)', "", value, flags=re.IGNORECASE)
    if rest.strip():
        raise Unsupported(f"FIELDALIAS {value!r}")
    return [(s.strip('"'), mode.upper(), d.strip('"')) for s, mode, d in pairs]


class KnowledgeObjects:
    """The add-on's props, transforms, eventtypes and tags, applied to one event."""

    def __init__(self):
        self.props = load_conf("props.conf")
        self.transforms = load_conf("transforms.conf")
        self.eventtypes = load_conf("eventtypes.conf")
        self.tags = load_conf("tags.conf")

    def classes(self, sourcetype, prefix):
        stanza = self.props[sourcetype]
        keys = sorted(k for k in stanza if k.startswith(prefix + "-"))
        return [(k, stanza[k]) for k in keys]

    def search_time(self, sourcetype, raw):
        """Fields Splunk would have for an event of ``sourcetype`` with ``_raw`` raw."""
        fields = {"_raw": raw, "sourcetype": sourcetype}
        stanza = self.props[sourcetype]
        check_props_stanza(sourcetype, stanza)
        if stanza.get("INDEXED_EXTRACTIONS", "").lower() == "json":
            for k, v in json_fields(raw).items():
                fields.setdefault(k, v)
        # 1. EXTRACT (inline), 2. REPORT
        for _key, value in self.classes(sourcetype, "EXTRACT"):
            apply_transform(parse_inline_extract(value), fields)
        for _key, value in self.classes(sourcetype, "REPORT"):
            for name in [n.strip() for n in value.split(",") if n.strip()]:
                apply_transform(self.transforms[name], fields)
        # 3. KV_MODE (json: every JSON field; an extracted field of the same name stays)
        if stanza.get("KV_MODE", "auto").lower() == "json":
            for k, v in json_fields(raw).items():
                fields.setdefault(k, v)
        elif stanza.get("KV_MODE", "auto").lower() != "none":
            raise Unsupported(f"[{sourcetype}] KV_MODE = {stanza.get('KV_MODE', 'auto (default)')}")
        # 4. FIELDALIAS: every alias of a stanza reads the fields as they were before
        aliased = {}
        before = dict(fields)
        aliases = [a for _key, value in self.classes(sourcetype, "FIELDALIAS") for a in field_aliases(value)]
        chained = {src for src, _m, _d in aliases} & {dst for _s, _m, dst in aliases}
        if chained:
            raise Unsupported(f"[{sourcetype}] FIELDALIAS of an alias ({sorted(chained)}): order not emulated")
        for src, mode, dst in aliases:
            if src in before and not (mode == "ASNEW" and dst in before):
                aliased[dst] = before[src]
        fields.update(aliased)
        # 5. EVAL: all expressions see the same input
        snapshot = dict(fields)
        results = {}
        for key, value in self.classes(sourcetype, "EVAL"):
            results[key[len("EVAL-"):]] = evaluate(parse_eval(value), snapshot)
        for name, value in results.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        # 6. LOOKUP (no lookup may read what another one writes: that order is not emulated)
        specs = [parse_lookup_spec(value) for _key, value in self.classes(sourcetype, "LOOKUP")]
        written = {dst for spec in specs for _col, dst in spec[3]}
        read = {f for spec in specs for _col, f in spec[1]}
        if written & read:
            raise Unsupported(f"[{sourcetype}] a LOOKUP reads {sorted(written & read)}, written by a LOOKUP")
        for _key, value in self.classes(sourcetype, "LOOKUP"):
            apply_lookup(self.transforms, value, fields)
        # 7. event types and 8. tags
        fields["eventtype"] = event_types(self.eventtypes, fields)
        fields["tag"] = tags_for(self.tags, fields)
        return fields
