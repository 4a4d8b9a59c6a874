#!/usr/bin/env bash
# The main job: the end-to-end RLHF demo on the shipped data. On a fresh Debian machine with the
# Swift toolchain it installs OpenBLAS and SQLite if missing, fetches the pinned data, builds in
# release, and runs `rlhf demo` (about 15 minutes on two cores; --preset quick for about 2).
# Everything lands in one run folder (default runs/demo), ending in report.html; an interrupted
# demo resumes from the stages it finished. Extra arguments go to `rlhf demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh libopenblas-dev libsqlite3-dev
scripts/fetch-data.sh
swift build -c release -Xswiftc -enable-testing --product rlhf
.build/release/rlhf demo "$@"
