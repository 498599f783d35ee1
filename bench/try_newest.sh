#!/usr/bin/env bash
# The newest releases of what pyproject.toml pins or bounds: a throwaway venv gets every
# dependency with each `==` pin and `<` bound lifted (pip then takes the newest release),
# prints the versions it got, checks the private Scrapy/Twisted/scrapy-redis names the capture
# relies on (tests/test_upstream_contract.py) and runs the quality gate's scoring over the
# full ../shared dev sets beside the floors (exit 1 if either fails).
#
#     bench/try_newest.sh [PYTHON]        # default python3 (3.11+); needs ../shared
#
# If every figure holds (or the change is understood), move the pins to the printed versions
# and re-measure the floors: NEWSARCHIVE_UPDATE_BASELINE=1 pytest tests/test_quality_gate.py
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
"$work/venv/bin/python" - "$root/pyproject.toml" >"$work/requirements.txt" <<'PY'
import re, sys, tomllib

project = tomllib.load(open(sys.argv[1], "rb"))["project"]
for dep in project["dependencies"] + project["optional-dependencies"]["test"]:
    requirement, semicolon, marker = dep.partition(";")
    requirement = re.sub(r",?<[^,]*", "", re.sub(r"==[^,]*", "", requirement))
    print(requirement + semicolon + marker)
PY
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q -r "$work/requirements.txt"
echo "newest releases installed:"
pinned="$(grep -oE '^ *"[A-Za-z0-9_.-]+(\[[^]]*\])?(==|>=[^"]*<)' "$root/pyproject.toml" | sed -E 's/^ *"//; s/(\[|==|>=).*//')"
for name in $pinned; do
    "$work/venv/bin/python" -m pip show "$name" 2>/dev/null |
        awk -v n="$name" '/^Version:/ {printf "  %-20s %s\n", n, $2}'
done
cd "$root"
PYTHONPATH="$root" "$work/venv/bin/python" -m tests.quality.dev_sets
PYTHONPATH="$root" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider -n 0 \
    tests/test_upstream_contract.py tests/test_layering.py
