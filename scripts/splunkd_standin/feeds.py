"""What the splunkd stand-in sends: entities, error bodies, list filtering and paging, Atom and JSON feeds.

splunkd answers in Atom XML by default and in JSON with ``output_mode=json``; a
list takes ``count``, ``offset``, ``search``, ``sort_key`` and ``sort_dir``
(docs.splunk.com, REST API Reference: "Request and response details", and the
"Using the REST API reference" page on pagination and filtering). An error is a
``<response><messages><msg type="ERROR">`` body (``{"messages": [...]}`` in JSON).

Standard library only.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from urllib.parse import quote
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_attr

SPLUNK_VERSION = "9.4.0"
DEFAULT_COUNT = 30

_ATOM_NS = (
    'xmlns="http://www.w3.org/2005/Atom" xmlns:s="http://dev.splunk.com/ns/rest" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
)


class RestError(Exception):
    """An answer other than success: HTTP status and the message splunkd would give."""

    def __init__(self, status: int, text: str, msg_type: str = "ERROR"):
        super().__init__(text)
        self.status = status
        self.text = text
        self.msg_type = msg_type


class Entry:
    """One REST entity: title, path segments under the namespace, acl, content."""

    def __init__(self, title: str, segments: list[str], acl: dict, content: dict, author: str = "nobody"):
        self.title = title
        self.segments = segments
        self.acl = acl
        self.content = content
        self.author = author


def make_acl(app: str, owner: str, sharing: str, removable: bool = False) -> dict:
    """An entity's ``eai:acl``, as splunkd reports it for an admin."""
    return {
        "app": app,
        "can_change_perms": "1",
        "can_list": "1",
        "can_share_app": "1",
        "can_share_global": "1",
        "can_share_user": "0",
        "can_write": "1",
        "modifiable": "1",
        "owner": owner,
        "perms": {"read": ["*"], "write": ["admin", "sc_admin"]},
        "removable": "1" if removable else "0",
        "sharing": sharing,
    }


def first_param(params: dict, key: str):
    """The last value given for ``key`` (query or form), or None."""
    values = params.get(key)
    return values[-1] if values else None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="seconds")


# ------------------------------------------------------------------ filtering
def search_terms(search: str) -> list[tuple[str | None, str]]:
    """Split a splunkd 'search' filter into (field or None, value) terms.

    Terms are separated by unescaped whitespace and ANDed; ``field=value``
    restricts a term to one field; ``\\=`` and ``\\ `` escape.
    """
    terms, cur, i = [], "", 0
    field = None
    while i < len(search):
        ch = search[i]
        if ch == "\\" and i + 1 < len(search):
            cur += search[i + 1]
            i += 2
            continue
        if ch.isspace():
            if cur or field is not None:
                terms.append((field, cur))
            cur, field = "", None
        elif ch == "=" and field is None:
            field, cur = cur, ""
        else:
            cur += ch
        i += 1
    if cur or field is not None:
        terms.append((field, cur))
    return terms


def _value_matches(pattern: str, value) -> bool:
    if value is None:
        value = ""
    if isinstance(value, list):
        return any(_value_matches(pattern, v) for v in value)
    if isinstance(value, dict):
        return False
    # splunkd matches case-insensitively and on substrings; '*' is a wildcard.
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.search(regex, str(value), re.IGNORECASE) is not None


def _entry_field(entry: Entry, field: str):
    if field in ("name", "title"):
        return entry.title
    if field.startswith("eai:acl."):
        return entry.acl.get(field[len("eai:acl.") :])
    return entry.content.get(field)


def _entry_matches(entry: Entry, terms) -> bool:
    for field, value in terms:
        if field is None:
            candidates = [entry.title] + [v for k, v in entry.content.items() if not isinstance(v, dict)]
            if not any(_value_matches(value, c) for c in candidates):
                return False
        elif not _value_matches(value, _entry_field(entry, field)):
            return False
    return True


def paginate(entries: list[Entry], params: dict) -> tuple[list[Entry], int, int, int]:
    """Filter (``search``), sort and cut a list: (page, total, offset, count)."""
    search = first_param(params, "search")
    if search:
        terms = search_terms(search)
        entries = [e for e in entries if _entry_matches(e, terms)]
    sort_key = first_param(params, "sort_key") or "name"
    reverse = (first_param(params, "sort_dir") or "asc").lower() == "desc"
    entries = sorted(entries, key=lambda e: str(_entry_field(e, sort_key) or ""), reverse=reverse)
    total = len(entries)
    try:
        offset = max(int(first_param(params, "offset") or 0), 0)
    except ValueError:
        raise RestError(400, "Argument offset must be an integer") from None
    try:
        count = int(first_param(params, "count") if first_param(params, "count") not in (None, "") else DEFAULT_COUNT)
    except ValueError:
        raise RestError(400, "Argument count must be an integer") from None
    page = entries[offset:] if count <= 0 else entries[offset : offset + count]
    return page, total, offset, count


# ------------------------------------------------------------------ rendering
def _ns_prefix(ns: tuple[str, str] | None, rec_app: str | None = None, rec_owner: str | None = None) -> str:
    if ns is None:
        return "/services"
    owner, app = ns
    return f"/servicesNS/{quote(rec_owner or owner, safe='')}/{quote(rec_app or app, safe='')}"


def _entry_href(entry: Entry, ns) -> str:
    segs = "/".join(quote(s, safe="") for s in entry.segments)
    # Links point at the entity's own namespace, as splunkd's do.
    if ns is None:
        return f"/servicesNS/{quote(entry.acl.get('owner', 'nobody'), safe='')}/{quote(entry.acl.get('app', 'system'), safe='')}/{segs}"
    return f"{_ns_prefix(ns, entry.acl.get('app'), entry.acl.get('owner'))}/{segs}"


def _xml_value(value, indent: str) -> str:
    if isinstance(value, dict):
        inner = "".join(
            f'{indent}  <s:key name={_xml_attr(k)}>{_xml_value(v, indent + "  ")}</s:key>\n' for k, v in sorted(value.items())
        )
        return f"\n{indent}<s:dict>\n{inner}{indent}</s:dict>\n{indent[:-2] if len(indent) >= 2 else ''}"
    if isinstance(value, list):
        inner = "".join(f"{indent}  <s:item>{_xml_escape(str(v))}</s:item>\n" for v in value)
        return f"\n{indent}<s:list>\n{inner}{indent}</s:list>\n{indent[:-2] if len(indent) >= 2 else ''}"
    return _xml_escape("" if value is None else str(value))
def atom_feed(base: str, path: str, title: str, entries, *, ns, total, offset, count, with_paging: bool) -> str:
    updated = _now()
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<!--This is to override browser formatting; see server.conf[httpServer] to disable. . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . .-->\n',
        '<?xml-stylesheet type="text/xml" href="/static/atom.xsl"?>\n',
        f"<feed {_ATOM_NS}>\n",
        f"  <title>{_xml_escape(title)}</title>\n",
        f"  <id>{_xml_escape(base + path)}</id>\n",
        f"  <updated>{updated}</updated>\n",
        f'  <generator build="standin" version="{SPLUNK_VERSION}"/>\n',
        "  <author>\n    <name>Splunk</name>\n  </author>\n",
        f'  <link href={_xml_attr(path + "/_new")} rel="create"/>\n',
        f'  <link href={_xml_attr(path + "/_reload")} rel="_reload"/>\n',
        f'  <link href={_xml_attr(path + "/_acl")} rel="_acl"/>\n',
    ]
    if with_paging:
        out.append(f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n")
        out.append(f"  <opensearch:itemsPerPage>{count}</opensearch:itemsPerPage>\n")
        out.append(f"  <opensearch:startIndex>{offset}</opensearch:startIndex>\n")
    out.append("  <s:messages/>\n")
    for entry in entries:
        href = _entry_href(entry, ns)
        out.append("  <entry>\n")
        out.append(f"    <title>{_xml_escape(entry.title)}</title>\n")
        out.append(f"    <id>{_xml_escape(base + href)}</id>\n")
        out.append(f"    <updated>{updated}</updated>\n")
        out.append(f"    <link href={_xml_attr(href)} rel=\"alternate\"/>\n")
        out.append(f"    <author>\n      <name>{_xml_escape(entry.author)}</name>\n    </author>\n")
        out.append(f"    <link href={_xml_attr(href)} rel=\"list\"/>\n")
        out.append(f"    <link href={_xml_attr(href + '/_reload')} rel=\"_reload\"/>\n")
        out.append(f"    <link href={_xml_attr(href)} rel=\"edit\"/>\n")
        if entry.acl.get("removable") == "1":
            out.append(f"    <link href={_xml_attr(href)} rel=\"remove\"/>\n")
        if "$text" in entry.content:
            out.append(f'    <content type="text">{_xml_escape(entry.content["$text"])}</content>\n')
        else:
            out.append('    <content type="text/xml">\n      <s:dict>\n')
            for key, value in sorted(entry.content.items()):
                out.append(f"        <s:key name={_xml_attr(key)}>{_xml_value(value, '          ')}</s:key>\n")
            out.append("      </s:dict>\n    </content>\n")
        out.append("  </entry>\n")
    out.append("</feed>\n")
    return "".join(out)


def _json_scalar(key: str, value):
    if key in ("disabled",) and value in ("0", "1"):
        return value == "1"
    return value


def _json_acl(acl: dict) -> dict:
    out = {}
    for key, value in acl.items():
        if key.startswith("can_") or key in ("modifiable", "removable"):
            out[key] = value == "1"
        else:
            out[key] = value
    return out


def json_feed(base: str, path: str, entries, *, ns, total, offset, count, with_paging: bool) -> str:
    updated = _now()
    doc = {
        "links": {"create": path + "/_new", "_reload": path + "/_reload", "_acl": path + "/_acl"},
        "origin": base + path,
        "updated": updated,
        "generator": {"build": "standin", "version": SPLUNK_VERSION},
        "entry": [],
        "paging": {"total": total, "perPage": count, "offset": offset},
        "messages": [],
    }
    if not with_paging:
        doc["paging"] = {"total": len(entries), "perPage": DEFAULT_COUNT, "offset": 0}
    for entry in entries:
        href = _entry_href(entry, ns)
        links = {"alternate": href, "list": href, "_reload": href + "/_reload", "edit": href}
        if entry.acl.get("removable") == "1":
            links["remove"] = href
        if "$text" in entry.content:
            content = entry.content["$text"]
        else:
            content = {k: (None if k == "eai:acl" else _json_scalar(k, v)) for k, v in sorted(entry.content.items())}
        doc["entry"].append(
            {
                "name": entry.title,
                "id": base + href,
                "updated": updated,
                "links": links,
                "author": entry.author,
                "acl": _json_acl(entry.acl),
                "content": content,
            }
        )
    return json.dumps(doc, indent=2)


def error_body(status_text: str, msg_type: str, as_json: bool) -> str:
    if as_json:
        return json.dumps({"messages": [{"type": msg_type, "text": status_text}]})
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <messages>\n'
        f'    <msg type="{msg_type}">{_xml_escape(status_text)}</msg>\n'
        "  </messages>\n</response>\n"
    )
