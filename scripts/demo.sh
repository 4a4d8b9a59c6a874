#!/usr/bin/env bash
# The main job: the end-to-end RLHF demo on the shipped data. On a fresh Debian machine with the
# Swift toolchain it installs OpenBLAS, SQLite and the data's unpacking tools if missing, fetches the pinned data, builds in
# release, and runs `rlhf demo`: SmolLM2-135M-Instruct with PPO-LoRA, DPO-LoRA and best-of-16 (19 to 30
# minutes on two cores; --preset scratch for the GPT-2 model trained here, --preset quick for CI).
# Everything lands in one run folder (default runs/demo), ending in report.html; an interrupted
# demo resumes from the stages it finished. Extra arguments go to `rlhf demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh libopenblas-dev libsqlite3-dev python3 ca-certificates unzip bzip2
scripts/fetch-data.sh
swift build -c release -Xswiftc -enable-testing --product rlhf
.build/release/rlhf demo "$@"
