#!/usr/bin/env bash
# Creates .venv with the pinned reference stack (PyTorch CPU, transformers, tiktoken, ...) used by
# the fixture generators and the PyTorch side of the benchmarks. The Swift build and tests never
# need it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's python3 makes virtual environments (with their pip) only with python3-venv.
scripts/install-system-packages.sh python3 python3-venv
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r scripts/requirements.txt
echo "reference environment ready: .venv/bin/python"
