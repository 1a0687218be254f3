#!/usr/bin/env bash
# Create (once) a virtual environment with pyipv8 3.2.1 for the interop tests and print its python.
#
#   tests/interop/venv.sh <venv-dir>      e.g. tests/interop/venv.sh target/interop-venv
#
# On success: prints the absolute path of the venv's python on stdout, exit 0.
# Idempotent: if <venv-dir>/.pyipv8-3.2.1-ok exists and the import works, returns immediately.
# On any failure (no python3, venv or pip failure, import failure): message on stderr, exit non-zero,
# so a test that depends on it fails instead of passing silently.
set -u

VENV="${1:-}"
if [ -z "$VENV" ]; then
    echo "usage: $0 <venv-dir>" >&2
    exit 2
fi
PYTHON_BIN="${PYTHON:-python3}"
STAMP="$VENV/.pyipv8-3.2.1-ok"
PY="$VENV/bin/python"

check() {
    "$PY" -c 'import ipv8, ipv8_service, marshmallow; from importlib.metadata import version; assert version("pyipv8") == "3.2.1", version("pyipv8")' >/dev/null 2>&1
}

if [ -f "$STAMP" ] && [ -x "$PY" ] && check; then
    (cd "$(dirname "$PY")" && echo "$(pwd)/python")
    exit 0
fi

# Serialise concurrent first uses (several test binaries may start at once).
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || { echo "venv.sh: timed out waiting for $VENV.lock" >&2; exit 1; }
fi
if [ -f "$STAMP" ] && [ -x "$PY" ] && check; then
    (cd "$(dirname "$PY")" && echo "$(pwd)/python")
    exit 0
fi

if ! command -v "$PYTHON_BIN" >/dev/null 2>&1; then
    echo "venv.sh: $PYTHON_BIN not found; cannot create the pyipv8 venv" >&2
    exit 1
fi
rm -f "$STAMP"
if [ ! -x "$PY" ]; then
    if ! "$PYTHON_BIN" -m venv "$VENV" >&2; then
        echo "venv.sh: '$PYTHON_BIN -m venv $VENV' failed (is python3-venv installed?)" >&2
        exit 1
    fi
fi
if ! timeout 900 "$PY" -m pip install --disable-pip-version-check -q "pyipv8==3.2.1" "marshmallow<4" >&2; then
    echo "venv.sh: pip install pyipv8==3.2.1 'marshmallow<4' failed in $VENV (network/index unavailable?)" >&2
    exit 1
fi
if ! check; then
    echo "venv.sh: pyipv8 3.2.1 installed in $VENV but 'import ipv8' fails:" >&2
    "$PY" -c 'import ipv8, ipv8_service' >&2
    exit 1
fi
touch "$STAMP"
(cd "$(dirname "$PY")" && echo "$(pwd)/python")
