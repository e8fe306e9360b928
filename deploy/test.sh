#!/usr/bin/env bash
# Builds and runs every test: C++ unit and loopback integration tests (under -Werror, then again
# under AddressSanitizer + UBSan, then under ThreadSanitizer), the web client's unit tests, and
# the browser tests in Debian's Chromium. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh --tests
npm ci --no-audit --no-fund --loglevel=error  # web/dist is built by a CTest fixture

jobs=$(nproc)

echo "== ci preset: -Werror, every test (C++, web, browser)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"

echo "== asan-ubsan preset: the C++ tests and the browser tests against a sanitized server"
echo "   (not the web client's unit tests, nor the benchmark's smoke run)"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j "$jobs"
ctest --preset asan-ubsan -j "$jobs" --label-exclude 'web|bench'

echo "== tsan preset: the C++ tests and the browser tests against a server under ThreadSanitizer"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs"
ctest --preset tsan -j "$jobs" --label-exclude 'web|bench'
