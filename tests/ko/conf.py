"""Splunk .conf files: parsing, and the paths of the add-on's knowledge objects."""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DIR = os.path.join(REPO, "package", "default")
LOOKUP_DIR = os.path.join(REPO, "package", "lookups")
SAMPLES_DIR = os.path.join(REPO, "tests", "fixtures", "samples")


class ConfError(ValueError):
    """A .conf file Splunk would read differently than its author meant."""


class Unsupported(NotImplementedError):
    """A construct the emulation does not implement: fail rather than guess."""


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


def load_conf(filename, directory=DEFAULT_DIR):
    with open(os.path.join(directory, filename), encoding="utf-8") as f:
        return parse_conf_text(f.read(), filename)


def is_true(value, default="false"):
    """Splunk's boolean spelling in .conf files."""
    return str(value if value is not None else default).strip().lower() in ("1", "true", "t", "yes", "y")
