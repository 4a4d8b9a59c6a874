#!/usr/bin/env bash
# The test command. On a fresh Debian machine with the Swift toolchain it installs the system
# packages, fetches the pinned data, builds everything once (release, with testing enabled:
# numeric code is far too slow unoptimised), runs every test, then the demo's quick preset.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-system-packages.sh
scripts/fetch-data.sh
swift build -c release -Xswiftc -enable-testing --build-tests
# The tests write their stores, run folders and browser profiles under TMPDIR: give them one
# folder of their own and remove it afterwards, whatever the outcome.
TMPDIR=$(mktemp -d -t rlhf-tests.XXXXXX)
export TMPDIR
# The feedback store's tests run on SQLite and on a throwaway PostgreSQL server on loopback.
postgres_folder=$(mktemp -d /tmp/rlhf-postgres.XXXXXX)
# Set before the server starts: a start that fails halfway must not leave it running.
trap 'scripts/postgres.sh --stop "$postgres_folder" || true; rm -rf "$TMPDIR" "$postgres_folder"' EXIT
RLHF_TEST_POSTGRES_URL=$(scripts/postgres.sh "$postgres_folder")
export RLHF_TEST_POSTGRES_URL
swift test -c release -Xswiftc -enable-testing --skip-build
# Every parser of outside input, coverage-guided for a few seconds from its committed seeds (the
# instrumented build under .build/fuzz is incremental; see docs/reliability.md for its cost).
scripts/fuzz.sh --all 5
# The whole pipeline end to end at CI scale (about 3 minutes).
rm -rf .build/demo-quick
.build/release/rlhf demo --preset quick --output .build/demo-quick
