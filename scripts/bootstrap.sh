#!/bin/sh
# Shared by scripts/demo and scripts/test: make sure .venv exists and holds storplan (editable)
# with its test and documentation tools. Works on a fresh Debian 12 (installs python3-venv when it is missing,
# as root or through sudo). Re-running is cheap: pip skips what is already installed.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "storplan: $PYTHON lacks venv/ensurepip; installing python3-venv" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo";
    else echo "storplan: run 'apt-get install python3-venv' as root first" >&2; exit 1; fi
    $SUDO apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-venv >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.storplan-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test,docs]'
    touch "$stamp"
fi
