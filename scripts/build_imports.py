"""The lib/ import check of scripts/check_build.py: every module that the code under bin/
imports (read from its syntax tree, imports inside functions included), and every module
those load, resolves in bin/, lib/ or the standard library under Python 3.9 and 3.13 (PY39
and PY313 from the Makefile) run with ``-I -S`` (no site-packages); only splunkd's own
``splunk`` package is stood in. solnlib must take its ``requests`` path to splunkd."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import tempfile
from pathlib import Path

from build_common import APP_ID, Problems, info

# Packages that splunkd's own Python provides (never shipped in lib/): the import
# check stands them in with placeholder modules.
SPLUNKD_PROVIDED = ("splunk",)


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
