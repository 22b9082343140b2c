#!/usr/bin/env bash
# Sets up a Debian 12 machine (idempotent), builds everything and runs the whole test suite through ctest.
# Tiers are ctest labels: `ctest -L fast` (unit and data-driven tests, seconds) and `ctest -L slow` (the real
# daemon, Azurite, the Node SDK); this script runs both in one ctest call so that its summary counts them all.
# Usage: ./deploy/test.sh [extra ctest args]   (BUILD_DIR overrides the build folder, default build/)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$repo/build}"
jobs="$(nproc 2>/dev/null || echo 2)"

"$repo/deploy/bootstrap.sh"

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADXFLOW_BUILD_TESTS=ON
else
  cmake -S "$repo" -B "$build" -DADXFLOW_BUILD_TESTS=ON >/dev/null
fi
start=$(date +%s)
cmake --build "$build" -j "$jobs"
echo "test.sh: build took $(( $(date +%s) - start )) s"

cd "$build"
ctest --output-on-failure -j "$jobs" "$@"

# The libFuzzer targets (clang, their own build dir), each for a bounded time: tests/fuzz/README.md.
# Only on a full run (no ctest arguments); ADXFLOW_FUZZ_SECS=0 skips them.
fuzz_secs="${ADXFLOW_FUZZ_SECS:-30}"
if [ "$#" -eq 0 ] && [ "$fuzz_secs" != 0 ]; then
  "$repo/tests/fuzz/run_fuzzers.sh" "$fuzz_secs"
else
  echo "test.sh: fuzzers not run (ctest arguments given or ADXFLOW_FUZZ_SECS=0)"
fi
