#!/usr/bin/env bash
# Build output/TA_sqs_s3_audit with ucc-gen, then finish and check it with
# scripts/check_build.py. Called by `make build`, which passes every option.
#
# ucc-gen build, in this order: generates conf files, REST handlers and a
# placeholder bin/sqs_s3_audit.py from globalConfig.json, installs
# package/lib/requirements.txt into lib/, then copies package/ over the result,
# so our hand-written package/bin/sqs_s3_audit.py replaces the placeholder.
# It also rewrites globalConfig.json (schema upgrade, meta.version); that
# rewrite is committed, so a build of a clean tree leaves it unchanged.
set -euo pipefail

ucc="" version="" output="output" lib_python="" lib_pip_version="" lib_pip_flags="" check_python="python3"
while [ $# -gt 0 ]; do
  case "$1" in
    --ucc) ucc="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --lib-python) lib_python="$2"; shift 2 ;;
    --lib-pip-version) lib_pip_version="$2"; shift 2 ;;
    --lib-pip-flags) lib_pip_flags="$2"; shift 2 ;;
    --check-python) check_python="$2"; shift 2 ;;
    *) echo "build_addon.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for v in ucc version lib_python lib_pip_version lib_pip_flags; do
  [ -n "${!v}" ] || { echo "build_addon.sh: --${v//_/-} is required" >&2; exit 2; }
done

cd "$(dirname "$0")/.."
app="$output/TA_sqs_s3_audit"
log="$output/ucc-gen-build.log"
mkdir -p "$output"

echo "ucc-gen build: version $version, lib/ installed with $("$lib_python" --version 2>&1)"
if ! "$ucc" build \
      --source package \
      --config globalConfig.json \
      --ta-version "$version" \
      --output "$output" \
      --overwrite \
      --python-binary-name "$lib_python" \
      --pip-version "$lib_pip_version" \
      --pip-custom-flag "$lib_pip_flags" \
      >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "build_addon.sh: ucc-gen build failed (full log: $log)" >&2
  exit 1
fi
# ucc-gen logs most failures and still exits 0 in some cases: be strict.
if grep -E '^(ERROR|CRITICAL):' "$log" >&2; then
  echo "build_addon.sh: ucc-gen build reported errors (full log: $log)" >&2
  exit 1
fi
[ -f "$app/app.manifest" ] || { echo "build_addon.sh: $app was not built" >&2; exit 1; }

"$check_python" scripts/check_build.py --app "$app" --repo .
echo "build: $app"
