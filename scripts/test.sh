#!/usr/bin/env bash
# The test command. On a fresh Debian machine with the Swift toolchain it installs the system
# packages, fetches the pinned data, builds everything once (release, with testing enabled:
# numeric code is far too slow unoptimised), runs every test, then the demo's quick preset.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh
scripts/fetch-data.sh
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build
# The whole pipeline end to end at CI scale (about two minutes).
.build/release/rlhf demo --preset quick --output .build/demo-quick
