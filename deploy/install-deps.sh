#!/usr/bin/env bash
# Installs what mockroom needs on Debian 12, and only what is missing. Safe to run again.
#   deploy/install-deps.sh           build and run the server
#   deploy/install-deps.sh --tests   also what the test suite needs (Chromium for browser tests)
set -euo pipefail

packages=(g++ cmake ninja-build libboost1.81-dev nlohmann-json3-dev libsqlite3-dev libssl-dev
          liburing-dev libcli11-dev catch2 nodejs npm)
if [[ "${1:-}" == "--tests" ]]; then
    packages+=(chromium curl sqlite3)  # sqlite3: the crash harness checks the database with it
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        # A Node.js from elsewhere (e.g. NodeSource, which bundles npm) counts as installed.
        if [[ "$package" == nodejs || "$package" == npm ]] && command -v "${package/nodejs/node}" >/dev/null; then
            continue
        fi
        missing+=("$package")
    fi
done

if (( ${#missing[@]} > 0 )); then
    echo "deploy/install-deps.sh: installing ${missing[*]}" >&2
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Vite 8 and playwright-core need Node.js 20.19+. Debian 12's own nodejs is 18: on a machine
# without a newer one, install Node.js 20 (e.g. from NodeSource's Debian repository) first.
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    echo "deploy/install-deps.sh: Node.js 20.19 or newer is needed, found $(node --version)" >&2
    exit 1
fi
