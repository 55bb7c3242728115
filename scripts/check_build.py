#!/usr/bin/env python3
"""Finish and check the app that ``ucc-gen build`` left in output/TA_sqs_s3_audit.

Run by ``make build`` right after ucc-gen. It changes the built app in three
documented ways, then fails loudly (exit 1, one line per problem) on anything
that must not ship:

Fixes:
  * botocore's Client Side Monitoring (off unless AWS_CSM_ENABLED is set) opens
    a UDP socket; Splunk Cloud forbids UDP, and AppInspect fails the app for the
    code alone. ``Session._create_csm_monitor`` is replaced by one that returns
    None.
  * ``solnlib/observability.py`` needs grpcio/opentelemetry, which are not
    shipped; the module is removed so nothing can import it by accident.
  * ``lib/bin/`` holds the console scripts pip writes for the libraries
    (``normalizer``, ``pyrsa-*``, ``jp.py``...), pointing at the build's
    interpreter; nothing imports them, so the folder is removed.
  * ucc-gen writes the fields of every configuration tab into one
    ``ta_sqs_s3_audit_account.conf.spec``; the account and iam_role spec files
    are rewritten from globalConfig.json, one per conf file.

Checks:
  * no compiled file (.so, .pyd, .dylib, .dll, .pyc) anywhere in the app;
  * nothing imports solnlib.observability;
  * bin/sqs_s3_audit.py is the hand-written package/bin/sqs_s3_audit.py, not
    the script ucc-gen generates;
  * the REST handlers serve exactly the contract's conf files;
  * default/inputs.conf [sqs_s3_audit] agrees with globalConfig.json defaults;
  * every module that the code under bin/ imports (read from its syntax tree,
    imports inside functions included), and every module those load, resolves
    in bin/, lib/ or the standard library under Python 3.9 and 3.13 (PY39 /
    PY313 from the Makefile) run with ``-I -S`` (no site-packages); only
    splunkd's own ``splunk`` package is stood in. solnlib must take its
    ``requests`` path to splunkd.

The fixes are scripts/build_fixes.py, the import check scripts/build_imports.py; the
other checks and the order of it all are here.

Usage: check_build.py [--app output/TA_sqs_s3_audit] [--repo .]
"""

from __future__ import annotations

import argparse
import ast
import configparser
import filecmp
import json
import re
import sys
from pathlib import Path

from build_common import APP_ID, CONF_PREFIX, INPUT_NAME, Problems, info
from build_fixes import (patch_botocore_csm, remove_bytecode, remove_console_scripts, remove_observability,
                         write_tab_specs)
from build_imports import check_lib_imports

COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".pyc", ".pyo")
EXPECTED_HANDLERS = {
    # REST handler file -> conf file it serves (without .conf)
    f"{APP_ID}_rh_account.py": f"{CONF_PREFIX}_account",
    f"{APP_ID}_rh_iam_role.py": f"{CONF_PREFIX}_iam_role",
    f"{APP_ID}_rh_settings.py": f"{CONF_PREFIX}_settings",
}
OBSERVABILITY_IMPORT = re.compile(
    r"solnlib\.observability|from\s+solnlib\s+import\s+[^\n]*\bobservability\b"
    r"|from\s+\.\s+import\s+[^\n]*\bobservability\b"
)


def _imports_observability(node: ast.AST, package: str) -> bool:
    """True when an import statement names solnlib.observability (absolute or relative)."""
    if isinstance(node, ast.Import):
        return any(alias.name.startswith("solnlib.observability") for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level:  # relative: resolve against the importing package
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join(base + ([module] if module else []))
        if module.startswith("solnlib.observability"):
            return True
        return module == "solnlib" and any(alias.name == "observability" for alias in node.names)
    return False


def check_no_observability_import(app: Path, problems: Problems) -> None:
    """Parse every shipped module and look at its import statements (not its text)."""
    for path in sorted(app.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            # Fall back to the text for files this Python cannot parse.
            for lineno, line in enumerate(text.splitlines(), 1):
                if not line.lstrip().startswith("#") and OBSERVABILITY_IMPORT.search(line):
                    problems.add(f"{path.relative_to(app)}:{lineno} imports solnlib.observability")
            continue
        rel = path.relative_to(app)
        parts = list(rel.with_suffix("").parts)
        if parts and parts[0] in ("lib", "bin"):
            parts = parts[1:]
        package = ".".join(parts[:-1] if parts[-1] != "__init__" else parts[:-1])
        for node in ast.walk(tree):
            if _imports_observability(node, package):
                problems.add(
                    f"{rel}:{node.lineno} imports solnlib.observability "
                    "(grpcio/opentelemetry are not shipped)"
                )


def check_no_compiled(app: Path, problems: Problems) -> None:
    for path in sorted(app.rglob("*")):
        if path.is_file() and path.name.lower().endswith(COMPILED_SUFFIXES):
            problems.add(
                f"compiled file {path.relative_to(app)}: lib/ and bin/ must be pure Python "
                "(Splunk runs on Linux, Windows and macOS)"
            )


def check_handlers(app: Path, problems: Problems) -> None:
    bin_dir = app / "bin"
    for handler, conf in EXPECTED_HANDLERS.items():
        path = bin_dir / handler
        if not path.is_file():
            problems.add(f"REST handler bin/{handler} missing")
            continue
        if f"'{conf}'" not in path.read_text(encoding="utf-8"):
            problems.add(f"bin/{handler} does not serve {conf}.conf")
    restmap = (app / "default" / "restmap.conf").read_text(encoding="utf-8")
    for handler in list(EXPECTED_HANDLERS) + [f"{APP_ID}_rh_{INPUT_NAME}.py"]:
        if f"handlerfile = {handler}" not in restmap:
            problems.add(f"default/restmap.conf does not register {handler}")


def check_entry_script(app: Path, repo: Path, problems: Problems) -> None:
    source = repo / "package" / "bin" / f"{INPUT_NAME}.py"
    built = app / "bin" / f"{INPUT_NAME}.py"
    if not source.is_file():
        problems.add(
            f"package/bin/{INPUT_NAME}.py does not exist: the app would ship the placeholder "
            "input script that ucc-gen generates"
        )
        return
    if not built.is_file() or not filecmp.cmp(source, built, shallow=False):
        problems.add(f"bin/{INPUT_NAME}.py in the built app is not package/bin/{INPUT_NAME}.py")


def _parse_conf(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None, comment_prefixes=("#",))
    parser.optionxform = str  # keep case
    parser.read(path, encoding="utf-8")
    return parser


def check_input_defaults(app: Path, global_config: dict, problems: Problems) -> None:
    conf = _parse_conf(app / "default" / "inputs.conf")
    if not conf.has_section(INPUT_NAME):
        problems.add(f"default/inputs.conf has no [{INPUT_NAME}] stanza")
        return
    stanza = conf[INPUT_NAME]
    for key in ("python.version", "python.required"):
        if key not in stanza:
            problems.add(f"default/inputs.conf [{INPUT_NAME}] lacks {key}")
    service = next(s for s in global_config["pages"]["inputs"]["services"] if s["name"] == INPUT_NAME)
    for entity in service["entity"]:
        default = entity.get("defaultValue")
        if default is None:
            continue
        if isinstance(default, bool):
            expected = {"1", "true"} if default else {"0", "false"}
        else:
            expected = {str(default)}
        actual = stanza.get(entity["field"])
        if actual is None or actual.strip().lower() not in expected:
            problems.add(
                f"default/inputs.conf [{INPUT_NAME}] {entity['field']} = {actual!r}, "
                f"globalConfig.json default is {default!r}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default=f"output/{APP_ID}")
    parser.add_argument("--repo", default=".")
    args = parser.parse_args()
    app = Path(args.app).resolve()
    repo = Path(args.repo).resolve()
    if not (app / "app.manifest").is_file():
        print(f"check_build: FAIL {app} is not a built app", file=sys.stderr)
        return 1
    global_config = json.loads((repo / "globalConfig.json").read_text(encoding="utf-8"))
    problems = Problems()

    patch_botocore_csm(app, problems)
    remove_observability(app)
    remove_console_scripts(app)
    write_tab_specs(app, global_config)

    check_lib_imports(app, problems)
    remove_bytecode(app)
    check_no_compiled(app, problems)
    check_no_observability_import(app, problems)
    check_handlers(app, problems)
    check_entry_script(app, repo, problems)
    check_input_defaults(app, global_config, problems)

    if problems.items:
        print(f"check_build: {len(problems.items)} problem(s) in {app}", file=sys.stderr)
        return 1
    info(f"{app} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
