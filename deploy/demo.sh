#!/usr/bin/env bash
# The main job: sets up this machine (idempotent), builds adxflowd and the adxflow CLI, starts the daemon in
# the foreground on its embedded SQLite default, applies the sample factory (samples/factory, ADF git layout)
# and runs its file -> file pipeline to Succeeded, then prints the run and the file it wrote.
#
# Usage: ./deploy/demo.sh [--once]
#   --once   stop the daemon after the sample run (exit code 0 only when the run Succeeded)
#   default  keep the daemon running in the foreground until Ctrl-C, so you can try the CLI or the API
# Environment: BUILD_DIR (default build/), ADXFLOW_DEMO_DIR (default .demo/), ADXFLOW_DEMO_PORT (8420).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$repo/build}"
work="${ADXFLOW_DEMO_DIR:-$repo/.demo}"
port="${ADXFLOW_DEMO_PORT:-8420}"
once=0
[ "${1:-}" = "--once" ] && once=1

"$repo/deploy/bootstrap.sh"

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target adxflowd adxflow

# Fresh sample files each time; the daemon's data dir (definitions and run history) is kept across demos.
mkdir -p "$work/data" "$work/files"
rm -rf "$work/files/in" "$work/files/out"
cp -r "$repo/samples/files/in" "$work/files/in"
mkdir -p "$work/files/out"

export ADXFLOW_SERVER="http://127.0.0.1:$port"
cli="$build/adxflow"

echo "demo: starting adxflowd on 127.0.0.1:$port (data in $work/data, file root $work/files)"
"$build/adxflowd" --listen "127.0.0.1:$port" --data-dir "$work/data" --file-root "$work/files" &
daemon=$!
stop_daemon() {
  if kill -0 "$daemon" 2>/dev/null; then
    kill -TERM "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
}
trap stop_daemon EXIT
trap 'exit 130' INT TERM

# Bounded wait for the API (the daemon recovers unfinished runs before it listens).
for _ in $(seq 1 100); do
  if "$cli" runs --last 1 >/dev/null 2>&1; then break; fi
  if ! kill -0 "$daemon" 2>/dev/null; then echo "demo: adxflowd exited during startup" >&2; exit 1; fi
  sleep 0.1
done

echo "demo: applying samples/factory"
"$cli" apply "$repo/samples/factory" --global "dataRoot=$work/files"

echo "demo: running pipeline CopyPeople"
status=0
"$cli" run CopyPeople --wait --timeout 120 || status=$?

echo "demo: files written by the run:"
for f in "$work/files/out"/*; do
  [ -f "$f" ] || continue
  echo "--- $f"
  cat "$f"
done

if [ "$status" -ne 0 ]; then
  echo "demo: the sample run did not succeed (exit $status)" >&2
  exit "$status"
fi
if [ "$once" -eq 1 ]; then exit 0; fi
echo "demo: adxflowd keeps running on $ADXFLOW_SERVER; try \`$cli runs\` or \`$cli show <runId>\`. Ctrl-C stops it."
wait "$daemon"
