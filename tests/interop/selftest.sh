#!/usr/bin/env bash
# Create/reuse the pyipv8 venv, then run selftest.py (tracker + 2 py-ipv8 peers on 127.0.0.1).
#   tests/interop/selftest.sh [venv-dir]     (default: target/interop-venv)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PY="$("$HERE/venv.sh" "${1:-target/interop-venv}")"
exec timeout 90 "$PY" "$HERE/selftest.py"
