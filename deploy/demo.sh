#!/usr/bin/env bash
# The main job: sets up this machine (idempotent), builds adxflowd, the adxflow CLI and the Kusto emulator,
# then starts, all on loopback:
#   - Azurite (npm, in memory, free ports): the storage account behind queued ingestion;
#   - adxflow-kusto-emulator (free port): an ADX cluster with the database Demo, queued ingestion through
#     Azurite, and two identities: a service principal this script uses as the cluster's admin, and the
#     system-assigned managed identity (ingestor on Demo) that the daemon signs in with over the emulator's
#     IMDS endpoint;
#   - adxflowd in the foreground (its log on the terminal).
# It creates the table People in the emulator, applies the sample factory samples/adx-factory (ADF git
# layout) and runs its pipeline PeopleThroughAdx to Succeeded: a CSV file into ADX (queued ingestion), a
# Lookup counting the table, and the table back out with a KQL query into a CSV file, which it prints.
#
# Usage: ./deploy/demo.sh [--once]
#   --once   stop everything after the sample run (exit code 0 only when the run Succeeded)
#   default  keep the daemon, the emulator and Azurite running until Ctrl-C, to try the CLI or the API
# Every process it starts is stopped when it exits, whatever the reason (Ctrl-C included).
# Environment: BUILD_DIR (default build/), ADXFLOW_DEMO_DIR (default .demo/, recreated each time),
#   ADXFLOW_DEMO_PORT (the daemon's API port, default 8420), ADXFLOW_DEMO_PREBUILT=1 (skip bootstrap and
#   build: use the binaries already in BUILD_DIR; the demo test does this).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$repo/build}"
work="${ADXFLOW_DEMO_DIR:-$repo/.demo}"
port="${ADXFLOW_DEMO_PORT:-8420}"
once=0
for arg in "$@"; do
  case "$arg" in
    --once) once=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $arg (usage: ./deploy/demo.sh [--once])" >&2; exit 2 ;;
  esac
done

if [ "${ADXFLOW_DEMO_PREBUILT:-0}" != 1 ]; then
  "$repo/deploy/bootstrap.sh"
  generator=()
  if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target adxflowd adxflow adxflow-kusto-emulator
fi

cli="$build/adxflow"
azurite="$repo/tests/node/node_modules/.bin/azurite"
for exe in "$build/adxflowd" "$cli" "$build/adxflow-kusto-emulator" "$azurite"; do
  if [ ! -x "$exe" ]; then echo "demo: $exe is missing (run without ADXFLOW_DEMO_PREBUILT=1)" >&2; exit 2; fi
done
for tool in curl node; do
  if ! command -v "$tool" >/dev/null 2>&1; then echo "demo: $tool is not installed (see deploy/bootstrap.sh)" >&2; exit 2; fi
done
# Refuse a port some other process answers on: the CLI would talk to that one instead.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "demo: 127.0.0.1:$port is in use; choose another port with ADXFLOW_DEMO_PORT" >&2
  exit 2
fi

# Everything is fresh each time: the emulator and Azurite keep their data in memory, so the daemon's
# definitions and run history start over with them.
rm -rf "$work/data" "$work/files" "$work/logs" "$work/azurite"
mkdir -p "$work/data" "$work/files/out" "$work/logs" "$work/azurite"
cp -r "$repo/samples/files/in" "$work/files/in"

# --- the children, stopped in reverse order on any exit -------------------------------------------------
daemon="" emulator="" storage=""
stop_child() {  # PID NAME SECONDS: SIGTERM, then SIGKILL after SECONDS
  local pid="$1" name="$2" secs="$3" i
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "demo: $name did not stop within $secs s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_child "$daemon" adxflowd 15
  stop_child "$emulator" adxflow-kusto-emulator 5
  stop_child "$storage" Azurite 5
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {  # MESSAGE [LOG]
  echo "demo: $1" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then echo "--- last lines of $2" >&2; tail -n 30 "$2" >&2; fi
  exit 1
}

# Waits (bounded) until FILE has a line matching REGEX and prints its first match of REGEX's group 1.
await_line() {  # FILE REGEX SECONDS PID NAME
  local file="$1" regex="$2" secs="$3" pid="$4" name="$5" i line
  for ((i = 0; i < secs * 10; i++)); do
    line="$(sed -nE "s#.*$regex.*#\\1#p" "$file" 2>/dev/null | head -n 1)"
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    kill -0 "$pid" 2>/dev/null || fail "$name exited during startup" "$file"
    sleep 0.1
  done
  fail "$name did not start within $secs s" "$file"
}

# --- Azurite: blob, queue and table on free loopback ports, in memory ------------------------------------
(cd "$work/azurite" && exec "$azurite" --blobHost 127.0.0.1 --blobPort 0 --queueHost 127.0.0.1 --queuePort 0 \
  --tableHost 127.0.0.1 --tablePort 0 --inMemoryPersistence --skipApiVersionCheck --loose --disableTelemetry) \
  >"$work/logs/azurite.log" 2>&1 &
storage=$!
blob_port="$(await_line "$work/logs/azurite.log" 'Blob service is successfully listening at http://127\.0\.0\.1:([0-9]+)' 60 "$storage" Azurite)"
queue_port="$(await_line "$work/logs/azurite.log" 'Queue service is successfully listening at http://127\.0\.0\.1:([0-9]+)' 60 "$storage" Azurite)"
table_port="$(await_line "$work/logs/azurite.log" 'Table service is successfully listening at http://127\.0\.0\.1:([0-9]+)' 60 "$storage" Azurite)"
account=devstoreaccount1  # Azurite's documented development account and key (public)
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
connection="DefaultEndpointsProtocol=http;AccountName=$account;AccountKey=$key"
connection+=";BlobEndpoint=http://127.0.0.1:$blob_port/$account;QueueEndpoint=http://127.0.0.1:$queue_port/$account"
connection+=";TableEndpoint=http://127.0.0.1:$table_port/$account;"
echo "demo: Azurite (in memory) on 127.0.0.1: blob $blob_port, queue $queue_port, table $table_port (log $work/logs/azurite.log)"

# --- the Kusto emulator: database Demo, identities, queued ingestion through Azurite ---------------------
tenant=adxflow-demo admin_id=demo-admin admin_secret=demo-admin-secret
cat >"$work/kusto-emulator.json" <<EOF
{"identities": [
  {"type": "servicePrincipal", "tenant": "$tenant", "clientId": "$admin_id", "clientSecret": "$admin_secret",
   "roles": {"Demo": "admin"}},
  {"type": "systemManagedIdentity", "roles": {"Demo": "ingestor"}}]}
EOF
"$build/adxflow-kusto-emulator" --listen 127.0.0.1:0 --database Demo --config "$work/kusto-emulator.json" \
  --storage "$connection" --ingest-poll-ms 50 >"$work/logs/kusto-emulator.log" 2>&1 &
emulator=$!
kusto="http://127.0.0.1:$(await_line "$work/logs/kusto-emulator.log" 'listening on http://127\.0\.0\.1:([0-9]+)' 30 "$emulator" adxflow-kusto-emulator)"
echo "demo: adxflow-kusto-emulator on $kusto, database Demo (log $work/logs/kusto-emulator.log)"

# The cluster admin (a service principal) creates the target table through the management endpoint.
token="$(curl -sS --max-time 10 -X POST "$kusto/$tenant/oauth2/v2.0/token" \
  -d "grant_type=client_credentials&client_id=$admin_id&client_secret=$admin_secret" \
  --data-urlencode "scope=https://kusto.kusto.windows.net/.default" |
  sed -nE 's/.*"access_token" *: *"([^"]+)".*/\1/p')"
[ -n "$token" ] || fail "no token for $admin_id from the emulator" "$work/logs/kusto-emulator.log"
create='.create table People (id:long, name:string, city:string, joined:datetime)'
echo "demo: $create"
http_status="$(curl -sS --max-time 30 -o "$work/logs/create-table.json" -w '%{http_code}' -X POST "$kusto/v1/rest/mgmt" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"db\": \"Demo\", \"csl\": \"$create\"}")" || http_status=000
[ "$http_status" = 200 ] || fail "creating the table failed (HTTP $http_status): $(cat "$work/logs/create-table.json" 2>/dev/null)"

# --- adxflowd: every Azure endpoint it could call is the emulator ----------------------------------------
export ADXFLOW_SERVER="http://127.0.0.1:$port"
echo "demo: starting adxflowd on 127.0.0.1:$port (data in $work/data, file root $work/files)"
env -u IDENTITY_ENDPOINT -u IDENTITY_HEADER -u MSI_ENDPOINT -u MSI_SECRET \
  "$build/adxflowd" --listen "127.0.0.1:$port" --data-dir "$work/data" --file-root "$work/files" \
  --azure-imds-endpoint "$kusto" --azure-authority-host "$kusto" --shutdown-grace-secs 5 &
daemon=$!

# Bounded wait for the API (the daemon recovers unfinished runs before it listens).
for ((i = 0; ; i++)); do
  if "$cli" runs --last 1 >/dev/null 2>&1; then break; fi
  kill -0 "$daemon" 2>/dev/null || fail "adxflowd exited during startup"
  [ "$i" -lt 300 ] || fail "adxflowd did not answer within 30 s"
  sleep 0.1
done

echo "demo: applying samples/adx-factory"
"$cli" apply "$repo/samples/adx-factory" --global "dataRoot=$work/files" --global "kustoEndpoint=$kusto"

echo "demo: running pipeline PeopleThroughAdx"
status=0
"$cli" run PeopleThroughAdx --wait --timeout 180 || status=$?

echo "demo: files written by the run:"
for f in "$work/files/out"/*; do
  [ -f "$f" ] || continue
  echo "--- $f"
  cat "$f"
done

if [ "$status" -ne 0 ]; then
  echo "demo: the sample run did not succeed (exit $status); the emulator's log:" >&2
  tail -n 30 "$work/logs/kusto-emulator.log" >&2
  exit "$status"
fi
if [ "$once" -eq 1 ]; then exit 0; fi
cat <<EOF
demo: everything keeps running until Ctrl-C:
  adxflowd             $ADXFLOW_SERVER   try \`$cli runs\` or \`$cli show <runId>\`
  Kusto emulator       $kusto   e.g. (no auth needed for the token endpoint):
    T=\$(curl -s $kusto/$tenant/oauth2/v2.0/token -d 'grant_type=client_credentials&client_id=$admin_id&client_secret=$admin_secret&scope=https://kusto.kusto.windows.net/.default' | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
    curl -s $kusto/v2/rest/query -H "Authorization: Bearer \$T" -H 'Content-Type: application/json' -d '{"db":"Demo","csl":"People | take 3"}'
  Azurite (in memory)  blob 127.0.0.1:$blob_port, queue $queue_port, table $table_port
EOF
# Returns when any of them exits (or on Ctrl-C, through the traps).
wait -n "$daemon" "$emulator" "$storage" || true
fail "a demo process exited on its own; stopping the others"
