#!/bin/sh
# Installs adxflowd as a systemd service. Idempotent: run it again after an upgrade; existing config,
# credentials and data are kept.
#
#   sudo deploy/install.sh [--binary PATH] [--file-root DIR]... [--no-start]
#
# Creates the system user `adxflow`, /etc/adxflow/config.json (loopback API, tokens from a credential),
# /etc/adxflow/credentials/{secrets-key,api-tokens} (0600 root; systemd hands them to the service),
# /var/lib/adxflow (via StateDirectory), the file roots, and the unit plus a drop-in for the file roots.
# Prints the admin token once when it creates it.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
binary=""
start=1
roots=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --file-root) roots="$roots $2"; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$roots" ] || roots="/srv/adxflow"
if [ -z "$binary" ]; then
  for candidate in "$here/../build/adxflowd" /usr/local/bin/adxflowd; do
    [ -x "$candidate" ] && { binary=$candidate; break; }
  done
fi
[ -n "$binary" ] && [ -x "$binary" ] || { echo "install.sh: adxflowd binary not found (use --binary PATH)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 2; }

# 1. The system user: no login, no home to write to.
if ! id adxflow >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/adxflow --no-create-home --shell /usr/sbin/nologin adxflow
fi

# 2. The binaries.
if [ "$(readlink -f "$binary")" != /usr/local/bin/adxflowd ]; then
  install -m 0755 "$binary" /usr/local/bin/adxflowd
fi
cli=$(dirname "$binary")/adxflow
[ -x "$cli" ] && [ "$(readlink -f "$cli")" != /usr/local/bin/adxflow ] && install -m 0755 "$cli" /usr/local/bin/adxflow

# 3. Configuration (kept when present).
install -d -m 0755 /etc/adxflow
install -d -m 0700 /etc/adxflow/credentials
if [ ! -f /etc/adxflow/config.json ]; then
  roots_json=$(for r in $roots; do printf '"%s",' "$r"; done | sed 's/,$//')
  cat > /etc/adxflow/config.json <<JSON
{
  "listen": "127.0.0.1:8420",
  "file_roots": [$roots_json],
  "workers": 4,
  "shutdown_grace_secs": 30
}
JSON
  chmod 0644 /etc/adxflow/config.json
fi

# 4. Credentials: the secrets key (64 hex characters) and the API tokens, hashed at rest.
if [ ! -f /etc/adxflow/credentials/secrets-key ]; then
  (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > /etc/adxflow/credentials/secrets-key)
fi
if [ ! -f /etc/adxflow/credentials/api-tokens ]; then
  token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
  (umask 077; printf '# ROLE:sha256:HEX, one per line (see docs/operations.md)\nadmin:sha256:%s\n' "$hash" \
    > /etc/adxflow/credentials/api-tokens)
  echo "admin API token (shown once; store it, e.g. export ADXFLOW_TOKEN=...): $token"
fi

# 5. Directories: the file roots belong to the service user.
for r in $roots; do
  install -d -m 0750 -o adxflow -g adxflow "$r"
done

# 6. The unit, and a drop-in opening the file roots for writing under ProtectSystem=strict.
install -m 0644 "$here/systemd/adxflowd.service" /etc/systemd/system/adxflowd.service
install -d -m 0755 /etc/systemd/system/adxflowd.service.d
{
  echo "# Written by deploy/install.sh: one line per file root."
  echo "[Service]"
  for r in $roots; do echo "ReadWritePaths=$r"; done
} > /etc/systemd/system/adxflowd.service.d/file-roots.conf
install -d -m 0755 /usr/share/doc/adxflow
[ -f "$here/../docs/operations.md" ] && install -m 0644 "$here/../docs/operations.md" /usr/share/doc/adxflow/

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable adxflowd.service >/dev/null
  if [ "$start" = 1 ]; then
    systemctl restart adxflowd.service
    systemctl --no-pager status adxflowd.service | head -n 5 || true
  fi
else
  echo "install.sh: systemd is not running here; unit installed, not started"
fi
