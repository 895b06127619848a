#!/bin/sh
# make run: starts what Sluice has today on one machine and shows it working.
#
# Today that is sluice-wiretap (the broker, sluiced, is the next milestone):
# a Kafka-speaking listener on 127.0.0.1:${SLUICE_PORT:-9092} that prints every
# request a client sends, decoded by the generated codec. The demo points kcat
# (librdkafka) at it: metadata, one produce per compression codec, a consume.
# Then it keeps listening for your own clients until Ctrl-C.
# SLUICE_DEMO_ONLY=1 stops after the demo.
set -eu
cd "$(dirname "$0")/.."
port=${SLUICE_PORT:-9092}
bin=build/bin
b="127.0.0.1:$port"

"$bin/sluice-wiretap" --listen "$b" &
wt=$!
trap 'kill $wt 2>/dev/null; wait $wt 2>/dev/null || true' EXIT INT TERM
sleep 0.5
kill -0 $wt 2>/dev/null || { echo "run: sluice-wiretap did not start (is $b in use?)" >&2; exit 1; }

echo "--- kcat -L: cluster metadata"
kcat -b "$b" -L
for codec in none gzip snappy lz4 zstd; do
  echo "--- kcat -P -z $codec: two records"
  value=$(printf "sluice-$codec %.0s" $(seq 8))
  printf 'k1:%s\nk2:%s\n' "$value" "$value" | kcat -b "$b" -P -t demo -K: -z $codec -H origin=make-run
done
echo "--- kcat -C: read everything back"
kcat -b "$b" -C -t demo -o beginning -e -q -f 'offset %o key %k value %s\n'

[ "${SLUICE_DEMO_ONLY:-0}" = 1 ] && exit 0
echo "--- sluice-wiretap keeps listening on $b: point any Kafka client at it; Ctrl-C stops it"
wait $wt
