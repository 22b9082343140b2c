#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in their own build dir and runs each for a bounded time, starting
# from its checked-in seed corpus (tests/fuzz/corpus/<target>/, left untouched: new inputs go to a temp dir).
# Exits non-zero when a fuzzer finds a crash, a sanitizer report, a timeout or an out-of-memory; the input
# that did it is kept as <build>/artifacts/<target>-crash-... and printed.
#
# Usage: tests/fuzz/run_fuzzers.sh [seconds per fuzzer]      (default $FUZZ_SECS or 30)
# Env:   FUZZ_BUILD_DIR  build folder (default <repo>/build-fuzz)
#        FUZZ_JOBS       parallel compile jobs (default: nproc)
#        FUZZ_LOCK       a file to flock around the build (a machine shared with other builds)
#        FUZZ_TARGETS    space-separated subset of the targets
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz}"
secs="${1:-${FUZZ_SECS:-30}}"
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"
read -r -a targets <<<"${FUZZ_TARGETS:-fuzz_kusto_v2 fuzz_adf_validator fuzz_expr fuzz_router}"

lock=()
if [ -n "${FUZZ_LOCK:-}" ]; then lock=(flock "$FUZZ_LOCK"); fi

start=$(date +%s)
if [ ! -f "$build/CMakeCache.txt" ]; then
  # Debug keeps assertions on; -O1 is libFuzzer's usual trade between speed and compile time. Tests and
  # benchmarks are off, so only the libraries the fuzzers link are compiled.
  CC=clang CXX=clang++ "${lock[@]}" cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DADXFLOW_FUZZ=ON -DADXFLOW_BUILD_TESTS=OFF \
    -DADXFLOW_BUILD_BENCHMARKS=OFF >/dev/null
fi
"${lock[@]}" cmake --build "$build" -j "$jobs" --target "${targets[@]}"
echo "run_fuzzers: build took $(( $(date +%s) - start )) s"

mkdir -p "$build/artifacts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for t in "${targets[@]}"; do
  corpus="$repo/tests/fuzz/corpus/${t#fuzz_}"
  mkdir -p "$work/$t"
  log="$build/artifacts/$t.log"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: runaway memory is a finding too.
  if "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$t-" "$work/$t" "$corpus" >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    echo "run_fuzzers: $t ok: $execs inputs in ${secs} s, coverage $cov edges, $(ls "$corpus" | wc -l) seeds"
  else
    echo "run_fuzzers: $t FAILED; log: $log"
    grep -E 'ERROR|SUMMARY|artifact|Test unit written' "$log" | head -20 || true
    failed+=("$t")
  fi
done
echo "run_fuzzers: total $(( $(date +%s) - start )) s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "run_fuzzers: crashes in ${failed[*]}"
  exit 1
fi
