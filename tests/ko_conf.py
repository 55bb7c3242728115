"""Offline checker for the add-on's knowledge objects (props, transforms, eventtypes,
tags, lookups).

Splunk itself is not needed: this module parses the .conf files, converts Splunk
PCRE to Python regular expressions, and emulates the part of Splunk's search-time
pipeline the add-on uses (EXTRACT, REPORT with named groups or FORMAT $1::$2,
KV_MODE=json, FIELDALIAS, a small subset of EVAL, CSV lookups with WILDCARD
matching, event types and tags), in Splunk's order. It also renders the sample files
in tests/fixtures/samples/ the way the modular input writes events (compact JSON or
the original line, with the record's own timestamp) and parses timestamps with the
props TIME_PREFIX / TIME_FORMAT / MAX_TIMESTAMP_LOOKAHEAD settings.

Only the Python standard library is used.
"""

import csv
import datetime as _dt
import json
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DIR = os.path.join(REPO, "package", "default")
LOOKUP_DIR = os.path.join(REPO, "package", "lookups")
SAMPLES_DIR = os.path.join(REPO, "tests", "fixtures", "samples")


# --------------------------------------------------------------------------- conf


class ConfError(ValueError):
    pass


def parse_conf_text(text, name="<conf>"):
    """Parse Splunk .conf text into {stanza: {key: value}} (ordered).

    Raises ConfError on a duplicate stanza, a duplicate key in a stanza, or a line
    that is neither a comment, a stanza header nor key = value.
    """
    stanzas = {"default": {}}
    seen_headers = set()
    current = "default"
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i]
        # backslash continuation
        while line.endswith("\\") and not line.endswith("\\\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + "\n" + lines[i]
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            if current in seen_headers:
                raise ConfError(f"{name}:{lineno}: duplicate stanza [{current}]")
            seen_headers.add(current)
            stanzas.setdefault(current, {})
            continue
        if "=" not in stripped:
            raise ConfError(f"{name}:{lineno}: not 'key = value': {stripped!r}")
        key, value = stripped.split("=", 1)
        key = key.strip()
        if key in stanzas[current]:
            raise ConfError(f"{name}:{lineno}: duplicate key {key!r} in [{current}]")
        stanzas[current][key] = value.strip()
    if not stanzas["default"]:
        del stanzas["default"]
    return stanzas


def load_conf(filename):
    path = os.path.join(DEFAULT_DIR, filename)
    with open(path, encoding="utf-8") as f:
        return parse_conf_text(f.read(), filename)


# ------------------------------------------------------------------------- regex

_NAMED_GROUP = re.compile(r"\(\?<(?![=!])([A-Za-z_][A-Za-z0-9_]*)>")


def pcre_to_python(pattern):
    """Convert the Splunk (PCRE) constructs the add-on uses to Python `re`."""
    return _NAMED_GROUP.sub(r"(?P<\1>", pattern)


def compile_pcre(pattern):
    return re.compile(pcre_to_python(pattern))


def clean_key(name):
    """Splunk CLEAN_KEYS: non-alphanumerics become '_', leading '_' and digits go."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name).lstrip("_0123456789")


def _set_field(fields, name, value, mv_add=False):
    if value is None:
        return
    if name in fields:
        if not mv_add:
            return
        existing = fields[name]
        if not isinstance(existing, list):
            existing = [existing]
        fields[name] = existing + [value]
    else:
        fields[name] = value


def apply_transform(stanza, fields):
    """Apply one transforms.conf REGEX stanza (search time) to `fields` in place."""
    source_key = stanza.get("SOURCE_KEY", "_raw")
    text = fields.get(source_key)
    if text is None:
        return {}
    if isinstance(text, list):
        text = text[0]
    regex = compile_pcre(stanza["REGEX"])
    fmt = stanza.get("FORMAT")
    clean = stanza.get("CLEAN_KEYS", "true").lower() in ("1", "true", "t", "yes")
    mv_add = stanza.get("MV_ADD", "false").lower() in ("1", "true", "t", "yes")
    extracted = {}
    if fmt:
        pairs = [p.split("::", 1) for p in fmt.split()]

        def subst(template, m):
            return re.sub(r"\$(\d+)", lambda g: m.group(int(g.group(1))) or "", template)

        for m in regex.finditer(text):
            for name_t, value_t in pairs:
                name = subst(name_t, m)
                if clean:
                    name = clean_key(name)
                if not name:
                    continue
                value = subst(value_t, m)
                _set_field(extracted, name, value, mv_add)
    else:
        m = regex.search(text)
        if m:
            for name, value in m.groupdict().items():
                if value is not None:
                    extracted[name] = value
    for name, value in extracted.items():
        _set_field(fields, name, value, mv_add)
    return extracted


# --------------------------------------------------------------------------- json


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return v


def flatten_json(obj, prefix="", out=None):
    """Splunk KV_MODE=json naming: a.b for objects, a{}.b for arrays (multivalue)."""
    if out is None:
        out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten_json(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(obj, list):
        for item in obj:
            flatten_json(item, prefix + "{}", out)
    elif obj is None:
        pass
    else:
        out.setdefault(prefix, []).append(_scalar(obj))
    return out


def json_fields(raw):
    flat = flatten_json(json.loads(raw))
    return {k: (v[0] if len(v) == 1 else v) for k, v in flat.items()}


# ------------------------------------------------------------------------ lookups


def read_lookup(filename):
    with open(os.path.join(LOOKUP_DIR, filename), newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader if r]
    return header, rows


def _wild_to_re(pattern, case_sensitive):
    rx = "^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$"
    return re.compile(rx, 0 if case_sensitive else re.IGNORECASE)


def wildcard_fields(stanza):
    spec = stanza.get("match_type", "")
    return set(re.findall(r"WILDCARD\(\s*([^)\s]+)\s*\)", spec))


def lookup_match(stanza, inputs):
    """Rows of a transforms lookup stanza matching `inputs` ({csv column: value})."""
    _, rows = read_lookup(stanza["filename"])
    wild = wildcard_fields(stanza)
    case_sensitive = stanza.get("case_sensitive_match", "true").lower() in ("1", "true")
    max_matches = int(stanza.get("max_matches", "1000"))
    matches = []
    for row in rows:
        ok = True
        for col, value in inputs.items():
            want = row.get(col, "")
            if col in wild:
                if not _wild_to_re(want, case_sensitive).match(value):
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
    """`name in1 [AS f1] ... OUTPUT|OUTPUTNEW out1 [AS f1] ...` ->
    (name, [(csv_col, event_field)], mode, [(csv_col, event_field)])."""
    tokens = spec.replace(",", " ").split()
    name = tokens[0]
    inputs, outputs, mode = [], [], None
    target = inputs
    i = 1
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("OUTPUT", "OUTPUTNEW"):
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
    return name, inputs, mode, outputs


# --------------------------------------------------------------------------- eval


class EvalError(ValueError):
    pass


_EVAL_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d+)?)
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<field>'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|>=|<=|[-+*/.,()<>=])
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


def _tokenize_eval(expr):
    pos, out = 0, []
    expr = expr.rstrip()
    while pos < len(expr):
        m = _EVAL_TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise EvalError(f"cannot tokenize at {expr[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "str":
            body = text[1:-1]
            body = re.sub(r'\\(["\\])', r"\1", body)
            out.append(("str", body))
        elif kind == "field":
            out.append(("field", text[1:-1]))
        elif kind == "num":
            out.append(("num", float(text) if "." in text else int(text)))
        elif kind == "ident":
            up = text.upper()
            if up in ("AND", "OR", "NOT"):
                out.append(("op", up))
            else:
                out.append(("ident", text))
        else:
            out.append(("op", text))
    return out


EVAL_FUNCTIONS = {
    "case", "if", "coalesce", "match", "like", "lower", "upper", "isnull", "isnotnull",
    "null", "true", "false", "replace", "split", "mvindex", "len", "tonumber", "tostring",
}


class _Parser:
    """Recursive-descent parser for the EVAL subset; builds a small AST."""

    def __init__(self, expr):
        self.tokens = _tokenize_eval(expr)
        self.i = 0

    def peek(self, *values):
        if self.i < len(self.tokens):
            kind, val = self.tokens[self.i]
            if kind == "op" and val in values:
                return val
        return None

    def take(self, value=None):
        if self.i >= len(self.tokens):
            raise EvalError("unexpected end of expression")
        tok = self.tokens[self.i]
        if value is not None and tok != ("op", value):
            raise EvalError(f"expected {value!r}, got {tok!r}")
        self.i += 1
        return tok

    def parse(self):
        node = self.or_()
        if self.i != len(self.tokens):
            raise EvalError(f"trailing tokens: {self.tokens[self.i:]}")
        return node

    def or_(self):
        node = self.and_()
        while self.peek("OR"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.not_()
        while self.peek("AND"):
            self.take()
            node = ("and", node, self.not_())
        return node

    def not_(self):
        if self.peek("NOT"):
            self.take()
            return ("not", self.not_())
        return self.cmp()

    def cmp(self):
        node = self.add()
        op = self.peek("==", "!=", ">=", "<=", ">", "<", "=")
        if op:
            self.take()
            node = ("cmp", op, node, self.add())
        return node

    def add(self):
        node = self.mul()
        while True:
            op = self.peek("+", "-", ".")
            if not op:
                return node
            self.take()
            node = ("bin", op, node, self.mul())

    def mul(self):
        node = self.unary()
        while True:
            op = self.peek("*", "/")
            if not op:
                return node
            self.take()
            node = ("bin", op, node, self.unary())

    def unary(self):
        if self.peek("-"):
            self.take()
            return ("neg", self.unary())
        return self.primary()

    def primary(self):
        kind, val = self.take()
        if kind == "op" and val == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind in ("str", "num"):
            return ("lit", val)
        if kind == "field":
            return ("field", val)
        if kind == "ident":
            if self.peek("("):
                self.take("(")
                args = []
                if not self.peek(")"):
                    args.append(self.or_())
                    while self.peek(","):
                        self.take(",")
                        args.append(self.or_())
                self.take(")")
                if val not in EVAL_FUNCTIONS:
                    raise EvalError(f"unsupported eval function {val}()")
                return ("call", val, args)
            return ("field", val)
        raise EvalError(f"unexpected token {val!r}")


def parse_eval(expr):
    return _Parser(expr).parse()


def eval_field_refs(node, out=None):
    """Field names an EVAL AST reads."""
    if out is None:
        out = set()
    if node[0] == "field":
        out.add(node[1])
    for child in node[1:]:
        if isinstance(child, tuple):
            eval_field_refs(child, out)
        elif isinstance(child, list):
            for c in child:
                eval_field_refs(c, out)
    return out


def _num(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return v
    try:
        return float(v) if re.search(r"[.eE]", v) else int(v)
    except (TypeError, ValueError):
        return None


def _first(v):
    return v[0] if isinstance(v, list) else v


def evaluate(node, fields):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        v = fields.get(node[1])
        if isinstance(v, list) and len(v) == 1:
            return v[0]
        return v
    if kind == "neg":
        n = _num(evaluate(node[1], fields))
        return None if n is None else -n
    if kind == "not":
        v = evaluate(node[1], fields)
        return None if v is None else (not v)
    if kind == "or":
        a, b = evaluate(node[1], fields), evaluate(node[2], fields)
        if a is True or b is True:
            return True
        return None if (a is None or b is None) else False
    if kind == "and":
        a, b = evaluate(node[1], fields), evaluate(node[2], fields)
        if a is False or b is False:
            return False
        return None if (a is None or b is None) else True
    if kind == "cmp":
        op = node[1]
        a, b = _first(evaluate(node[2], fields)), _first(evaluate(node[3], fields))
        if a is None or b is None:
            return None
        na, nb = _num(a), _num(b)
        if na is not None and nb is not None:
            a, b = na, nb
        else:
            a, b = str(a), str(b)
        return {"==": a == b, "=": a == b, "!=": a != b, ">=": a >= b, "<=": a <= b,
                ">": a > b, "<": a < b}[op]
    if kind == "bin":
        op = node[1]
        a, b = _first(evaluate(node[2], fields)), _first(evaluate(node[3], fields))
        if a is None or b is None:
            return None
        if op == ".":
            return f"{a}{b}"
        na, nb = _num(a), _num(b)
        if na is None or nb is None:
            return None
        return {"+": na + nb, "-": na - nb, "*": na * nb, "/": na / nb if nb else None}[op]
    if kind == "call":
        return _call(node[1], node[2], fields)
    raise EvalError(f"bad node {node!r}")


def _call(name, args, fields):
    def ev(n):
        return evaluate(n, fields)

    if name == "case":
        for cond, val in zip(args[0::2], args[1::2]):
            if ev(cond) is True:
                return ev(val)
        return None
    if name == "if":
        return ev(args[1]) if ev(args[0]) is True else ev(args[2])
    if name == "coalesce":
        for a in args:
            v = ev(a)
            if v is not None:
                return v
        return None
    if name in ("null",):
        return None
    if name == "true":
        return True
    if name == "false":
        return False
    vals = [ev(a) for a in args]
    if name == "isnull":
        return vals[0] is None
    if name == "isnotnull":
        return vals[0] is not None
    if name == "mvindex":
        mv, idx = vals[0], _num(vals[1])
        if mv is None or idx is None:
            return None
        mv = mv if isinstance(mv, list) else [mv]
        try:
            return mv[idx]
        except IndexError:
            return None
    if name == "split":
        if vals[0] is None or vals[1] is None:
            return None
        return str(_first(vals[0])).split(vals[1])
    s = _first(vals[0]) if vals else None
    if name == "tostring":
        return None if s is None else str(s)
    if s is None:
        return None
    s = s if isinstance(s, str) else (str(s) if not isinstance(s, bool) else str(s).lower())
    if name == "lower":
        return s.lower()
    if name == "upper":
        return s.upper()
    if name == "len":
        return len(s)
    if name == "tonumber":
        return _num(s)
    if name == "match":
        return re.search(pcre_to_python(vals[1]), s) is not None
    if name == "like":
        rx = "^" + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in vals[1]) + "$"
        return re.match(rx, s, re.DOTALL) is not None
    if name == "replace":
        return re.sub(pcre_to_python(vals[1]), vals[2], s)
    raise EvalError(f"unsupported eval function {name}()")


# ---------------------------------------------------------------------- eventtypes

_SEARCH_TOKEN = re.compile(
    r'\s*(\(|\)|[^\s()"=!]+!?=(?:"[^"]*"|[^\s()]+)|"[^"]*"|[^\s()]+)'
)


def _tokenize_search(search):
    pos, out = 0, []
    search = search.strip()
    while pos < len(search):
        m = _SEARCH_TOKEN.match(search, pos)
        if not m:
            raise ValueError(f"cannot tokenize search at {search[pos:]!r}")
        out.append(m.group(1))
        pos = m.end()
    return out


def parse_search(search):
    """Parse the eventtype search subset: field=value, field!=value, free terms,
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
                raise ValueError("missing )")
            return node
        m = re.match(r'^([^\s()"=!]+)(!?=)(.*)$', tok)
        if m:
            value = m.group(3)
            if value.startswith('"') and value.endswith('"'):
                value = value[1:-1]
            return ("term", m.group(1), m.group(2), value)
        return ("text", tok.strip('"'))

    node = or_()
    if pos[0] != len(tokens):
        raise ValueError(f"trailing tokens in search: {tokens[pos[0]:]}")
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
    if kind == "text":
        return node[1].lower() in str(fields.get("_raw", "")).lower()
    _, name, op, value = node
    have = fields.get(name)
    if have is None:
        return False
    values = have if isinstance(have, list) else [have]
    rx = _wild_to_re(value, case_sensitive=False)
    hit = any(rx.match(str(v)) for v in values)
    return hit if op == "=" else not hit


# --------------------------------------------------------------------- pipeline


class KnowledgeObjects:
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
        """Fields Splunk would have for an event of `sourcetype` with `_raw` raw."""
        fields = {"_raw": raw, "sourcetype": sourcetype}
        stanza = self.props[sourcetype]
        # 1. EXTRACT (inline), 2. REPORT
        for _key, value in self.classes(sourcetype, "EXTRACT"):
            m = re.match(r"^(.*?)(?:\s+in\s+(\S+))?$", value)
            apply_transform({"REGEX": m.group(1), "SOURCE_KEY": m.group(2) or "_raw"}, fields)
        for _key, value in self.classes(sourcetype, "REPORT"):
            for name in [n.strip() for n in value.split(",") if n.strip()]:
                apply_transform(self.transforms[name], fields)
        # 3. KV_MODE
        if stanza.get("KV_MODE", "auto").lower() == "json":
            for k, v in json_fields(raw).items():
                fields.setdefault(k, v)
        # 4. FIELDALIAS
        for _key, value in self.classes(sourcetype, "FIELDALIAS"):
            for src, dst in re.findall(r"(\S+)\s+AS(?:NEW)?\s+(\S+)", value, re.IGNORECASE):
                src = src.strip('"')
                if src in fields:
                    fields[dst.strip('"')] = fields[src]
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
        # 6. LOOKUP
        for _key, value in self.classes(sourcetype, "LOOKUP"):
            name, inputs, mode, outputs = parse_lookup_spec(value)
            stanza_t = self.transforms[name]
            if any(fields.get(f) is None for _, f in inputs):
                continue
            query = {col: str(_first(fields[f])) for col, f in inputs}
            rows = lookup_match(stanza_t, query)
            for col, dst in outputs:
                if mode == "OUTPUTNEW" and dst in fields:
                    continue
                value = rows[0].get(col, "") if rows else ""
                if value == "":
                    if mode == "OUTPUT":
                        fields.pop(dst, None)
                else:
                    fields[dst] = value
        # 7. event types and tags
        eventtypes = [n for n, s in self.eventtypes.items()
                      if search_matches(parse_search(s["search"]), fields)]
        fields["eventtype"] = eventtypes
        tags = set()
        for et in eventtypes:
            for tag, state in self.tags.get(f"eventtype={et}", {}).items():
                if state == "enabled":
                    tags.add(tag)
        fields["tag"] = sorted(tags)
        return fields


# ---------------------------------------------------------------------- samples


def _compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _iso_epoch(value):
    value = value.replace("Z", "+00:00")
    return _dt.datetime.fromisoformat(value).timestamp()


def render_samples():
    """Events as the modular input writes them: (sample file, sourcetype, _raw, time)."""
    events = []

    def path(name):
        return os.path.join(SAMPLES_DIR, name)

    for name in ("cloudtrail_management.json", "cloudtrail_insight.json"):
        with open(path(name), encoding="utf-8") as f:
            for rec in json.load(f)["Records"]:
                events.append((name, "aws:cloudtrail", _compact(rec), _iso_epoch(rec["eventTime"])))
    with open(path("iru_activity.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                events.append(("iru_activity.jsonl", "iru:endpoint:activity", _compact(rec),
                               _iso_epoch(rec["occurred_at"])))
    with open(path("thrive_otlp_logs.json"), encoding="utf-8") as f:
        doc = json.load(f)
    for rl in doc["resourceLogs"]:
        for sl in rl["scopeLogs"]:
            for lr in sl["logRecords"]:
                rec = dict(lr)
                rec["resource"] = rl.get("resource", {})
                rec["scope"] = sl.get("scope", {})
                events.append(("thrive_otlp_logs.json", "thrive:audit", _compact(rec),
                               int(lr["timeUnixNano"]) / 1e9))
    with open(path("thrive_otel_flat.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                events.append(("thrive_otel_flat.jsonl", "thrive:audit", _compact(rec),
                               int(rec["timeUnixNano"]) / 1e9))
    with open(path("s3_access.log"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                stamp = re.search(r"\[([^\]]+)\]", line).group(1)
                t = _dt.datetime.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z").timestamp()
                events.append(("s3_access.log", "aws:s3:accesslogs", line, t))
    events.extend(render_aws_log_samples())
    return events


# AWS logs of issue 13: tests/fixtures/samples/<type>/ (sources in README-aws-logs.md).
# Header lines (CloudFront #Version/#Fields, the VPC flow log header) are not events.
# Only default-format VPC flow records are rendered here: the props timestamp and
# field extraction cover the default format (custom formats: see the doc page).
CONFIG_FILES = ("123456789012_Config_us-west-2_ConfigHistory_AWS__EC2__Volume.json",
                "123456789012_Config_us-east-2_ConfigSnapshot_20160927T183939Z_16da64e4-cb65-4846-b061-e6c3ba43cb96.json")
CONFIG_EVENT_MESSAGES = ("sns_item_change_security_group.json", "sns_item_change_volume_2014.json",
                         "sns_compliance_change.json")


def _utc(text):
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=_dt.timezone.utc).timestamp()


def render_aws_log_samples():
    events = []

    def lines(*parts):
        with open(os.path.join(SAMPLES_DIR, *parts), encoding="utf-8") as f:
            return [x.rstrip("\n") for x in f if x.strip()]

    for line in lines("elb", "mixed_access.log"):
        head = line.split(" ", 3)
        stamp = head[1] if head[0] in ("http", "https", "h2", "grpcs", "ws", "wss") else head[2] if head[0] == "tls" else head[0]
        whole, _, frac = stamp.rstrip("Z").partition(".")
        events.append(("elb/mixed_access.log", "aws:elb:accesslogs", line,
                       _utc(whole) + (int(frac) / 10 ** len(frac) if frac else 0)))
    for line in lines("cloudfront", "E2EXAMPLE.2019-12-04-21.a1b2c3d4.log"):
        if not line.startswith("#"):
            cols = line.split("\t")
            events.append(("cloudfront/E2EXAMPLE.2019-12-04-21.a1b2c3d4.log", "aws:cloudfront:accesslogs", line,
                           _utc(f"{cols[0]}T{cols[1]}")))
    for line in lines("vpcflow", "default_v2.log")[1:]:
        events.append(("vpcflow/default_v2.log", "aws:cloudwatchlogs:vpcflow", line, float(line.split()[10])))
    for line in lines("waf", "aws-waf-logs.jsonl"):
        rec = json.loads(line)
        events.append(("waf/aws-waf-logs.jsonl", "aws:waf", _compact(rec), rec["timestamp"] / 1000))
    for line in lines("guardduty", "findings.jsonl"):
        rec = json.loads(line)
        events.append(("guardduty/findings.jsonl", "aws:cloudwatch:guardduty", _compact(rec), _iso_epoch(rec["updatedAt"])))
    for name in CONFIG_FILES:
        with open(os.path.join(SAMPLES_DIR, "config", name), encoding="utf-8") as f:
            for item in json.load(f)["configurationItems"]:
                events.append((f"config/{name}", "aws:config", _compact(item),
                               _iso_epoch(item["configurationItemCaptureTime"])))
    for name in CONFIG_EVENT_MESSAGES:
        with open(os.path.join(SAMPLES_DIR, "config", name), encoding="utf-8") as f:
            msg = json.load(f)["Message"]
        item = msg.get("configurationItem") or (msg.get("configurationItems") or [None])[0]
        when = item["configurationItemCaptureTime"] if item else msg["newEvaluationResult"]["resultRecordedTime"]
        events.append((f"config/{name}", "aws:config:notification", _compact(msg), _iso_epoch(when)))
    with open(os.path.join(SAMPLES_DIR, "iru_admin", "activity_with_admin.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                events.append(("iru_admin/activity_with_admin.jsonl", "iru:endpoint:activity", _compact(rec),
                               _iso_epoch(rec["occurred_at"])))
    return events


# -------------------------------------------------------------------- timestamps

_TIME_DIRECTIVES = {
    "%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{2})", "%d": r"(?P<d>\d{2})", "%H": r"(?P<H>\d{2})",
    "%M": r"(?P<M>\d{2})", "%S": r"(?P<S>\d{2})", "%b": r"(?P<b>[A-Za-z]{3})",
    "%z": r"(?P<z>[+-]\d{2}:?\d{2}|Z)", "%Z": r"(?P<Z>Z|UTC|GMT|[+-]\d{2}:?\d{2})",
    "%s": r"(?P<s>\d{9,10})",
}


def splunk_strptime(time_format, text):
    """Parse the start of `text` with a Splunk TIME_FORMAT (the directives used here)."""
    rx, i = "", 0
    while i < len(time_format):
        m = re.match(r"%(\d)N", time_format[i:])
        if m:
            rx += rf"(?P<N>\d{{{m.group(1)}}})"
            i += len(m.group(0))
            continue
        two = time_format[i:i + 2]
        if two in _TIME_DIRECTIVES:
            rx += _TIME_DIRECTIVES[two]
            i += 2
            continue
        # white space in a format matches any white space (a tab between date and time)
        rx += r"\s+" if time_format[i] == " " else re.escape(time_format[i])
        i += 1
    m = re.match(rx, text)
    if not m:
        return None
    g = m.groupdict()
    frac = int(g["N"]) / 10 ** len(g["N"]) if g.get("N") else 0
    if g.get("s"):
        return int(g["s"]) + frac
    month = int(g["m"]) if g.get("m") else _dt.datetime.strptime(g["b"], "%b").month
    tz = g.get("z") or g.get("Z") or "Z"
    if tz in ("Z", "UTC", "GMT"):
        offset = 0
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    base = _dt.datetime(int(g["Y"]), month, int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"]),
                        tzinfo=_dt.timezone.utc).timestamp()
    return base - offset + frac


def extract_time(props_stanza, raw):
    prefix = props_stanza.get("TIME_PREFIX")
    start = 0
    if prefix:
        m = compile_pcre(prefix).search(raw)
        if not m:
            return None
        start = m.end()
    look = int(props_stanza.get("MAX_TIMESTAMP_LOOKAHEAD", "128"))
    if "TIME_FORMAT" not in props_stanza:
        # datetime.xml recognition, for the ISO 8601 shapes the add-on relies on only
        for fmt in ISO8601_FORMATS:
            got = splunk_strptime(fmt, raw[start:start + look])
            if got is not None:
                return got
        return None
    return splunk_strptime(props_stanza["TIME_FORMAT"], raw[start:start + look])


#: ISO 8601 shapes Splunk's datetime.xml recognises without a TIME_FORMAT, most specific first.
ISO8601_FORMATS = ("%Y-%m-%dT%H:%M:%S.%6N%Z", "%Y-%m-%dT%H:%M:%S.%3N%Z", "%Y-%m-%dT%H:%M:%S%Z",
                   "%Y-%m-%dT%H:%M:%S.%6N", "%Y-%m-%dT%H:%M:%S")
