#!/usr/bin/env bash
# Installs the Debian packages given (default: everything the build and tests need: OpenBLAS for
# every matrix product, SQLite for the feedback store, Chromium for the feedback page's browser
# test, PostgreSQL for the shared feedback store's tests, Open MPI's mpirun for data-parallel
# training, and the tools scripts/fetch-data.sh downloads and unpacks the pinned data with:
# python3 and the CA certificates its HTTPS needs, unzip, bzip2) when missing. Uses sudo when not root.
#   scripts/install-system-packages.sh [PACKAGE ...]
set -euo pipefail

packages=("$@")
[ ${#packages[@]} -eq 0 ] && packages=(libopenblas-dev libsqlite3-dev chromium postgresql openmpi-bin python3 ca-certificates unzip bzip2)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
run() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
run apt-get update -qq
run apt-get install -y -qq --no-install-recommends "${missing[@]}"
