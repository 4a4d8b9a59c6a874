#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, when missing: OpenBLAS for every matrix
# product, and Chromium for the feedback page's browser test. Uses sudo when not root.
set -euo pipefail

packages=(libopenblas-dev chromium)
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
