"""The changes scripts/check_build.py makes to the app ``ucc-gen build`` left (its docstring
says why each is needed): botocore's Client Side Monitoring removed, solnlib.observability
and lib/bin/ removed, the account and iam_role .conf.spec files rewritten from
globalConfig.json, and the bytecode the import check left removed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from build_common import CONF_PREFIX, Problems, info

CSM_FUNC = re.compile(
    r"(?P<indent>[ \t]+)def _create_csm_monitor\(self\):\n.*?(?=\n(?P=indent)def )",
    re.S,
)
CSM_PATCHED = "TA_sqs_s3_audit: Client Side Monitoring (UDP) removed"


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


def remove_bytecode(app: Path) -> None:
    for cache in sorted(app.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)


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
