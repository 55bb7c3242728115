"""EVAL- calculated fields: the subset of Splunk's eval language the add-on uses.

Splunk evaluates every ``EVAL-`` of a stanza on the same input (one calculated field
never sees another's result); :meth:`ko.pipeline.KnowledgeObjects.search_time` does
that. Functions outside :data:`EVAL_FUNCTIONS` raise :class:`EvalError` (an
:class:`~ko.conf.Unsupported`), as does any token the parser does not know.
Null follows Splunk: a comparison with null is null, ``if()`` on a null condition takes
the else branch, ``case()`` skips it, concatenating null gives null.
"""

import re

from .conf import Unsupported
from .regex import pcre_replace, pcre_search



class EvalError(Unsupported, ValueError):
    """An eval expression the emulation cannot parse or evaluate."""


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


#: function -> (fewest, most) arguments the emulation implements (None: no upper bound).
#: mvindex with an end, tonumber with a base and tostring with a format are not emulated.
EVAL_ARITY = {
    "case": (2, None), "if": (3, 3), "coalesce": (1, None), "match": (2, 2), "like": (2, 2),
    "lower": (1, 1), "upper": (1, 1), "isnull": (1, 1), "isnotnull": (1, 1), "null": (0, 0),
    "true": (0, 0), "false": (0, 0), "replace": (3, 3), "split": (2, 2), "mvindex": (2, 2),
    "len": (1, 1), "tonumber": (1, 1), "tostring": (1, 1), "in": (2, None),
}
EVAL_FUNCTIONS = set(EVAL_ARITY)


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
                low, high = EVAL_ARITY[val]
                if len(args) < low or (high is not None and len(args) > high) or (val == "case" and len(args) % 2):
                    raise EvalError(f"{val}() with {len(args)} arguments is not emulated")
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
        if op == "+" and na is None and nb is None:
            return f"{a}{b}"
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
    if name == "in":
        if vals[0] is None:
            return None
        have = vals[0] if isinstance(vals[0], list) else [vals[0]]
        return any(str(h) == str(v) for h in have for v in vals[1:])
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
        return pcre_search(vals[1], s)
    if name == "like":
        rx = "^" + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in vals[1]) + "$"
        return re.match(rx, s, re.DOTALL) is not None
    if name == "replace":
        return pcre_replace(s, vals[1], vals[2])
    raise EvalError(f"unsupported eval function {name}()")

