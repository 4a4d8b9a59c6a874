#!/usr/bin/env bash
# The test command. On a fresh Debian machine with the Swift toolchain it installs the system
# packages, fetches the pinned data, builds everything once (release, with testing enabled:
# numeric code is far too slow unoptimised) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh
scripts/fetch-data.sh
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build
