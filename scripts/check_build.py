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

Usage: check_build.py [--app output/TA_sqs_s3_audit] [--repo .]
"""

from __future__ import annotations

import argparse
import ast
import configparser
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

APP_ID = "TA_sqs_s3_audit"
CONF_PREFIX = APP_ID.lower()
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".pyc", ".pyo")
EXPECTED_HANDLERS = {
    # REST handler file -> conf file it serves (without .conf)
    f"{APP_ID}_rh_account.py": f"{CONF_PREFIX}_account",
    f"{APP_ID}_rh_iam_role.py": f"{CONF_PREFIX}_iam_role",
    f"{APP_ID}_rh_settings.py": f"{CONF_PREFIX}_settings",
}
INPUT_NAME = "sqs_s3_audit"
# Packages that splunkd's own Python provides (never shipped in lib/): the import
# check stands them in with placeholder modules.
SPLUNKD_PROVIDED = ("splunk",)
OBSERVABILITY_IMPORT = re.compile(
    r"solnlib\.observability|from\s+solnlib\s+import\s+[^\n]*\bobservability\b"
    r"|from\s+\.\s+import\s+[^\n]*\bobservability\b"
)
CSM_FUNC = re.compile(
    r"(?P<indent>[ \t]+)def _create_csm_monitor\(self\):\n.*?(?=\n(?P=indent)def )",
    re.S,
)
CSM_PATCHED = "TA_sqs_s3_audit: Client Side Monitoring (UDP) removed"


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)
        print(f"check_build: FAIL {message}", file=sys.stderr)


def info(message: str) -> None:
    print(f"check_build: {message}")


def patch_botocore_csm(app: Path, problems: Problems) -> None:
    session = app / "lib" / "botocore" / "session.py"
    if not session.is_file():
        problems.add(f"{session} not found: is botocore in package/lib/requirements.txt?")
        return
    text = session.read_text(encoding="utf-8")
    if CSM_PATCHED not in text:
        match = CSM_FUNC.search(text)
        if not match or "SOCK_DGRAM" not in match.group(0):
            problems.add(
                "botocore/session.py: _create_csm_monitor not found in the expected form; "
                "update the patch in scripts/check_build.py for this botocore version"
            )
            return
        indent = match.group("indent")
        body = indent * 2
        replacement = (
            f"{indent}def _create_csm_monitor(self):\n"
            f"{body}# {CSM_PATCHED}:\n"
            f"{body}# Splunk Cloud forbids UDP network communication.\n"
            f"{body}return None\n"
        )
        text = text[: match.start()] + replacement + text[match.end():]
        session.write_text(text, encoding="utf-8")
        info("patched lib/botocore/session.py: Client Side Monitoring disabled")
    if "SOCK_DGRAM" in text:
        problems.add("lib/botocore/session.py still opens a UDP socket")


def remove_observability(app: Path) -> None:
    module = app / "lib" / "solnlib" / "observability.py"
    if module.exists():
        module.unlink()
        info("removed lib/solnlib/observability.py (needs grpcio/opentelemetry)")


def remove_console_scripts(app: Path) -> None:
    scripts = app / "lib" / "bin"
    if scripts.is_dir():
        shutil.rmtree(scripts)
        info("removed lib/bin/ (console scripts of the libraries, for the build's interpreter)")


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


def remove_bytecode(app: Path) -> None:
    for cache in sorted(app.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)


def check_no_compiled(app: Path, problems: Problems) -> None:
    for path in sorted(app.rglob("*")):
        if path.is_file() and path.name.lower().endswith(COMPILED_SUFFIXES):
            problems.add(
                f"compiled file {path.relative_to(app)}: lib/ and bin/ must be pure Python "
                "(Splunk runs on Linux, Windows and macOS)"
            )


def _tab_fields(tab: dict) -> list[str]:
    return [e["field"] for e in tab.get("entity", []) if e.get("field") and e["field"] != "name"]


def write_tab_specs(app: Path, global_config: dict) -> None:
    readme = app / "README"
    tabs = global_config["pages"]["configuration"]["tabs"]
    for tab in tabs:
        name = tab.get("name")
        if tab.get("type") in ("loggingTab", "proxyTab") or name in (None, "logging", "proxy"):
            continue
        conf = f"{CONF_PREFIX}_{name}"
        lines = [f"# {conf}.conf: one stanza per {name}, managed by the add-on's Configuration page.", "[<name>]"]
        for entity in tab["entity"]:
            field = entity.get("field")
            if not field or field == "name":
                continue
            help_text = " ".join(str(entity.get("help", "")).split())
            if entity.get("encrypted"):
                help_text += " Encrypted: the conf file holds ******, the value is in storage/passwords."
            lines.append(f"{field} = <string>")
            if help_text:
                lines.append(f"* {help_text}")
        (readme / f"{conf}.conf.spec").write_text("\n".join(lines) + "\n", encoding="utf-8")
    info("rewrote README/<conf>.conf.spec for the account and iam_role tabs")


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


def _module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def code_imports(app: Path) -> tuple[list[str], list[str]]:
    """The add-on's own modules (everything under bin/) and every absolute import in them.

    Imports are read from the syntax tree, so imports inside functions count too.
    """
    bin_dir = app / "bin"
    own: list[str] = []
    imported: set[str] = set()
    for path in sorted(bin_dir.rglob("*.py")):
        own.append(_module_name(path.relative_to(bin_dir)))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module != "__future__":
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return own, sorted(imported)


# Run with ``python -I -S -B``: no site-packages, no PYTHONPATH, no user site. Every
# module left in sys.modules after importing everything must come from bin/, lib/ or
# the standard library.
_IMPORT_CHECK = r"""
import importlib, importlib.abc, importlib.machinery, json, os, sys, sysconfig, types
bin_dir, lib_dir, provided, own, imported = json.loads(sys.argv[1])
sys.path[:0] = [bin_dir, lib_dir]

class _Placeholder(types.ModuleType):
    # A module of splunkd's own Python. A lower-case attribute is a submodule
    # ("from splunk import admin"), any other a class, so that
    # "class H(admin.MConfigHandler)" and "admin.ACTION_CREATE" both work.
    __path__ = []
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name[:1].islower():
            return importlib.import_module(self.__name__ + "." + name)
        value = type(name, (), {})
        setattr(self, name, value)
        return value

class _SplunkdFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in provided:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None
    def create_module(self, spec):
        return _Placeholder(spec.name)
    def exec_module(self, module):
        pass

sys.meta_path.insert(0, _SplunkdFinder())
problems = []
for name in own + imported:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        parent, _, attr = name.rpartition(".")
        if parent and parent in sys.modules and hasattr(sys.modules[parent], attr):
            continue  # "from package import name" of a function or class
        problems.append(f"{name}: {type(exc).__name__}: {exc}")
    except Exception as exc:
        problems.append(f"{name}: {type(exc).__name__}: {exc}")

roots = [os.path.realpath(bin_dir), os.path.realpath(lib_dir)]
paths = sysconfig.get_paths()
stdlib = {os.path.realpath(paths["stdlib"]), os.path.realpath(paths["platstdlib"])}
site = {os.path.realpath(paths["purelib"]), os.path.realpath(paths["platlib"])}
def inside(path, dirs):
    return any(path == d or path.startswith(d + os.sep) for d in dirs)
for name, module in sorted(sys.modules.items()):
    file = getattr(module, "__file__", None)
    if not file or isinstance(module, _Placeholder) or name in ("__main__", "__mp_main__"):
        continue  # built in, frozen, namespace package or splunkd's own
    file = os.path.realpath(file)
    if inside(file, roots):
        continue
    if inside(file, stdlib) and not inside(file, site):
        continue
    problems.append(f"{name} imported from {file}, outside bin/, lib/ and the standard library")

import requests
from solnlib import splunk_rest_client
handler = splunk_rest_client._request_handler({})
if handler.__module__ != "solnlib.splunk_rest_client":
    problems.append(f"solnlib talks to splunkd through {handler.__module__}, not through requests")
import boto3
boto3.session.Session(region_name="us-east-1").client(
    "sqs", aws_access_key_id="x", aws_secret_access_key="y")
print(json.dumps({"problems": problems, "modules": len(sys.modules), "version": sys.version.split()[0],
                  "requests": requests.__version__, "boto3": boto3.__version__}))
"""


def check_lib_imports(app: Path, problems: Problems) -> None:
    """Every module the add-on imports resolves in bin/, lib/ or the standard library.

    Under PY39 and PY313 (Splunk 9.x and 10.x), with no site-packages; solnlib must
    take its requests path (the one splunkd runs with lib/ first on sys.path).
    """
    own, imported = code_imports(app)
    argument = json.dumps([str(app / "bin"), str(app / "lib"), list(SPLUNKD_PROVIDED), own, imported])
    for var in ("PY39", "PY313"):
        python = os.environ.get(var)
        if not python:
            problems.add(f"{var} not set: the lib/ import check needs Python 3.9 and 3.13")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            # A script file in an etc/apps/<app>/bin, not -c: splunktaucclib takes the
            # app name from __main__.__file__ when a handler module is imported.
            script = Path(tmp) / "etc" / "apps" / APP_ID / "bin" / "import_check.py"
            script.parent.mkdir(parents=True)
            script.write_text(_IMPORT_CHECK, encoding="utf-8")
            result = subprocess.run(
                [python, "-I", "-S", "-B", str(script), argument],
                capture_output=True,
                text=True,
                env={"PATH": os.environ.get("PATH", ""), "AWS_EC2_METADATA_DISABLED": "true"},
                check=False,
            )
        lines = result.stdout.strip().splitlines()
        if result.returncode != 0 or not lines:
            tail = (result.stderr.strip().splitlines() or ["?"])[-1]
            problems.add(f"lib/ import check failed under {var} ({python}): {tail}")
            continue
        report = json.loads(lines[-1])
        for problem in report["problems"]:
            problems.add(f"under {var}: {problem}")
        if not report["problems"]:
            info(
                f"Python {report['version']}, no site-packages: {len(own)} add-on modules and "
                f"{len(imported)} imports resolve in bin/, lib/ or the standard library "
                f"({report['modules']} modules loaded; requests {report['requests']}, "
                f"boto3 {report['boto3']})"
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
