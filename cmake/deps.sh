#!/bin/sh
# Installs the Debian packages that building, testing and running Sluice need.
# As root: apt-get installs whatever is missing. Otherwise: prints the exact
# apt-get line and fails, so nothing half-works later.
set -eu
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
      libcmocka-dev libjansson-dev zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
      librdkafka-dev kcat python3 python3-confluent-kafka python3-kafka
      redis-server redis-tools"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
# kafkajs (integration tests) needs node and npm; a machine may already have
# them from another Debian-format package (nodesource's nodejs bundles npm).
command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages; run as root:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || true
apt-get install -y -q --no-install-recommends$missing
