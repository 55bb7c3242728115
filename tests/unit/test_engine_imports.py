"""The engine's import graph: no cycle, and no module importing from a stage after its own.

Imports are read with ``ast`` from the source (module level and inside functions alike),
so a cycle hidden in a function body counts too. The stage order is the one in
``package/bin/sqs_s3_audit_engine/__init__.py`` and docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "package" / "bin" / "sqs_s3_audit_engine"
PACKAGE = "sqs_s3_audit_engine"

#: later stages may import earlier ones, never the reverse. Modules around the stages
#: (config, aws, errors, metrics, retry, timestamps...) are stage 0: any stage may use them.
STAGES = {
    "ingest": 5, "fdr_checks": 5, "interfaces": 5,
    "integrity": 6,
    "collector": 6, "fates": 6, "receiving": 6, "visibility": 6, "queue_watch": 6, "notification_records": 6,
    "backfill": 6,
    "wiring": 7,
    "doctor": 8,
}
#: the pipeline itself, by its first stages
EARLY = {"notifications": 1, "notification_types": 1, "notification_s3": 1, "notification_fdr": 1, "objects": 2, "logtypes": 3, "decoders": 3, "events": 4, "delivery": 5}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ENGINE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE, *parts])


def _imports(path: Path) -> set:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith(PACKAGE):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith(PACKAGE))
    return found


def _graph() -> dict:
    modules = {_module_name(p): p for p in ENGINE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        graph[name] = {t for t in _imports(path) if t in modules and t != name and not name.startswith(t + ".")}
    return graph


def _stage(module: str) -> int:
    first = module.split(".")[1] if "." in module else ""
    return STAGES.get(first, EARLY.get(first, 0))


def test_the_engine_has_no_import_cycle():
    graph = _graph()
    state: dict = {}
    cycles = []

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


#: the one exception, and why
ALLOWED = {
    (f"{PACKAGE}.notifications", f"{PACKAGE}.logtypes.config_notification"):
        "an AWS Config notification carries its records in the message: their shape lives with the log type",
}


def test_no_module_imports_from_a_later_stage():
    backward = [f"{m} (stage {_stage(m)}) imports {t} (stage {_stage(t)})"
                for m, targets in _graph().items() for t in sorted(targets)
                if _stage(m) > 0 and _stage(t) > _stage(m) and (m, t) not in ALLOWED]
    assert not backward, "\n".join(backward)


def test_the_graph_is_read():
    graph = _graph()
    assert f"{PACKAGE}.ingest" in graph[f"{PACKAGE}.collector"]
    assert f"{PACKAGE}.doctor.results" in graph[f"{PACKAGE}.doctor.checks"]
