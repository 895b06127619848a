#!/bin/sh
# Installs the Debian packages that building, testing and running Sluice need.
# As root: apt-get installs whatever is missing. Otherwise: prints the exact
# apt-get line and fails, so nothing half-works later.
set -eu
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
      libcmocka-dev libjansson-dev liblmdb-dev zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
      librdkafka-dev kcat python3 python3-confluent-kafka python3-kafka
      redis-server redis-tools re2c lemon libmicrohttpd-dev libedit-dev
      postgresql libpq-dev"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
# kafkajs (integration tests) needs node and npm; a machine may already have
# them from another Debian-format package (nodesource's nodejs bundles npm).
command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages; run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || true
  apt-get install -y -q --no-install-recommends$missing
fi
# kafkajs for the broker's integration tests, pinned by
# tests/integration/js/package-lock.json and installed into that folder only
# (any user may do this: it writes inside the repository).
js="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/js"
if [ ! -f "$js/node_modules/kafkajs/package.json" ]; then
  echo "installing kafkajs into $js/node_modules (npm ci)" >&2
  if ! npm ci --prefix "$js" --no-audit --no-fund; then
    echo "npm ci failed in $js: the kafkajs integration test cannot run" >&2
    exit 1
  fi
fi
