"""Offline emulation of Splunk's search-time pipeline for the add-on's knowledge objects.

Splunk cannot run in the tests, so this package reads package/default/*.conf and
evaluates an event the way Splunk documents its search-time order ("The sequence of
search-time operations", Splunk Knowledge Manager Manual):

1. inline ``EXTRACT-`` and 2. ``REPORT-`` transforms (regular expressions run on PCRE2,
   the engine Splunk uses, through the ``pcre2`` binding: :mod:`ko.regex`);
3. ``KV_MODE`` (``json`` and ``none``);
4. ``FIELDALIAS-`` (``AS`` and ``ASNEW``);
5. ``EVAL-`` calculated fields, all evaluated on the same input (one never sees
   another's result): :mod:`ko.evaluation`;
6. ``LOOKUP-`` (CSV lookups with ``WILDCARD`` matching): :mod:`ko.lookups`;
7. event types and 8. tags: :mod:`ko.searches`.

Every construct the emulation does not implement (an unknown props or transforms key,
an eval function, a search command, ``KV_MODE = auto``...) raises :class:`Unsupported`
instead of being guessed at. :mod:`ko.samples` renders the documented sample lines in
tests/fixtures/samples/ the way the modular input writes events; :mod:`ko.cim` holds the
CIM data model requirements the events are checked against.
"""

from .conf import DEFAULT_DIR, LOOKUP_DIR, REPO, SAMPLES_DIR, ConfError, Unsupported, load_conf, parse_conf_text
from .evaluation import EvalError, eval_field_refs, evaluate, parse_eval
from .lookups import lookup_match, parse_lookup_spec, read_lookup, wildcard_fields
from .pipeline import KnowledgeObjects
from .regex import apply_transform, clean_key, compile_pcre
from .searches import parse_search, search_field_refs, search_matches
from .timestamps import extract_time, splunk_strptime

__all__ = [
    "DEFAULT_DIR", "LOOKUP_DIR", "REPO", "SAMPLES_DIR", "ConfError", "EvalError", "KnowledgeObjects",
    "Unsupported", "apply_transform", "clean_key", "compile_pcre", "eval_field_refs", "evaluate",
    "extract_time", "load_conf", "lookup_match", "parse_conf_text", "parse_eval", "parse_lookup_spec",
    "parse_search", "read_lookup", "search_field_refs", "search_matches", "splunk_strptime",
    "wildcard_fields",
]
