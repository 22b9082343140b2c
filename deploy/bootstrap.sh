#!/usr/bin/env bash
# Installs everything adxflow needs to build, run and test on Debian 12.
# Idempotent: packages already present are skipped, so running it again is cheap.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates curl
  libboost1.81-dev
  nlohmann-json3-dev libsqlite3-dev libspdlog-dev libfmt-dev
  prometheus-cpp-dev libgtest-dev libgmock-dev
  libssl-dev zlib1g-dev libdeflate-dev
  libicu-dev
  libxml2-dev                  # xml() and xpath() in expressions
  prometheus                   # the monitoring test scrapes the daemon; promtool checks the alert rules
  clang libclang-rt-14-dev     # libFuzzer targets (cmake -DADXFLOW_FUZZ=ON, tests/fuzz)
  libpq-dev postgresql         # the PostgreSQL connector (libpq); its tests start their own server
  systemd                      # systemd-analyze verifies deploy/systemd/adxflowd.service (minimal images lack it)
)
# Node.js: some images ship it from another channel whose `nodejs` package bundles npm and conflicts with
# Debian's `npm`; only ask apt for them when no npm is on PATH.
if ! command -v npm >/dev/null 2>&1; then apt_packages+=(nodejs npm); fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian's prometheus package enables a server on 0.0.0.0:9090 (and node exporter); the tests start their own
  # on loopback, so the packaged service is stopped and disabled where systemd runs.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    "${sudo_cmd[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
else
  echo "bootstrap: apt packages already installed"
fi

# npm tools used by the tests (Azurite for Blob/Queue/Table, the official ADF SDK as an API client).
# Pinned by tests/node/package-lock.json; `npm ci` is skipped when node_modules already matches the lock.
if [ -f "$repo/tests/node/package-lock.json" ]; then
  stamp="$repo/tests/node/node_modules/.adxflow-lock-sha"
  want="$(sha256sum "$repo/tests/node/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "bootstrap: npm ci in tests/node"
    (cd "$repo/tests/node" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  else
    echo "bootstrap: npm packages already installed"
  fi
fi
