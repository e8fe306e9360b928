#!/usr/bin/env bash
# Quick start: installs what is missing, builds the server and the web client, and runs the
# server with the bundled question bank. Extra arguments go to mockroom (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build:web
cmake --preset release >/dev/null
cmake --build --preset release

exec build/release/server/mockroom --host "${MOCKROOM_HOST:-127.0.0.1}" --port "${MOCKROOM_PORT:-8080}" "$@"
