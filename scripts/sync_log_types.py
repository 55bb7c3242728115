"""Write the log-type table's selectable types into globalConfig.json's ``log_type`` choices.

    python3 scripts/sync_log_types.py          # rewrite globalConfig.json
    python3 scripts/sync_log_types.py --check  # exit 1 when globalConfig.json disagrees

The table (``package/bin/sqs_s3_audit_engine/logtypes/``) is the source of truth; the
unit tests run ``--check``.
"""

from __future__ import annotations

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "package", "bin"))

from sqs_s3_audit_engine import logtypes  # after the path set-up above

GLOBAL_CONFIG = os.path.join(ROOT, "globalConfig.json")
AUTO = {"value": "auto", "label": "Automatic (detect from key and content)"}


def choices() -> list:
    """The ``autoCompleteFields`` the table asks for: auto, then each selectable type."""
    out = [AUTO]
    for lt in logtypes.DETECTION_ORDER:
        if lt.selectable:
            out.append({"value": lt.name, "label": f"{lt.title} ({lt.sourcetype})"})
    return out


def _log_type_entity(config: dict) -> dict:
    for service in config["pages"]["inputs"]["services"]:
        for entity in service["entity"]:
            if entity.get("field") == "log_type":
                return entity
    raise SystemExit("globalConfig.json has no log_type input field")


def main(argv: list) -> int:
    with open(GLOBAL_CONFIG, encoding="utf-8") as handle:
        config = json.load(handle)
    entity = _log_type_entity(config)
    wanted = choices()
    if "--check" in argv:
        if entity["options"]["autoCompleteFields"] != wanted:
            print("globalConfig.json's log_type choices differ from the log-type table: "
                  "run python3 scripts/sync_log_types.py", file=sys.stderr)
            return 1
        return 0
    entity["options"]["autoCompleteFields"] = wanted
    with open(GLOBAL_CONFIG, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=4, ensure_ascii=False)
        handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
