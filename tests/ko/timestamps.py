"""Timestamps: TIME_PREFIX (PCRE2), TIME_FORMAT and MAX_TIMESTAMP_LOOKAHEAD of props.conf.

Only the strptime directives the add-on's props use are implemented; any other
``%`` directive raises :class:`~ko.conf.Unsupported`.
"""

import datetime as _dt
import re

from .conf import Unsupported
from .regex import compile_pcre


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
        if time_format[i] == "%":
            raise Unsupported(f"TIME_FORMAT directive {time_format[i:i + 2]!r}")
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
