#!/bin/sh
# make run: starts a single-node Sluice broker (sluiced) with its data in
# ./data, listening on 127.0.0.1:9092 (config/server.properties), shows a
# produce and a consume with kcat, prints how to do the same, and keeps the
# broker in the foreground until Ctrl-C (a clean shutdown; the data stays).
# SLUICE_DEMO_ONLY=1 stops after the demo. Extra arguments are passed to
# sluiced (e.g. --override listeners=PLAINTEXT://127.0.0.1:19092).
set -eu
cd "$(dirname "$0")/.."
bin=build/bin

"$bin/sluiced" config/server.properties "$@" &
pid=$!
stop() { kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true; }
trap stop EXIT INT TERM

# The address sluiced listens on: the last listeners= given.
listen=$(printf '%s\n' "$@" | sed -n 's/^listeners=PLAINTEXT:\/\///p' | tail -n 1)
[ -n "$listen" ] || listen=$(sed -n 's/^listeners=PLAINTEXT:\/\///p' config/server.properties | tail -n 1)
b=$listen
i=0
until kcat -b "$b" -L -m 1 >/dev/null 2>&1; do
  i=$((i + 1))
  kill -0 $pid 2>/dev/null && [ $i -lt 100 ] || { echo "run: sluiced did not start on $b" >&2; exit 1; }
  sleep 0.1
done

echo "--- kcat -P: three records to topic 'demo' (created on first use)"
printf 'user-1:hello\nuser-2:from\nuser-3:sluice\n' | kcat -b "$b" -P -t demo -K: -z lz4
echo "--- kcat -C: everything in 'demo'"
kcat -b "$b" -C -t demo -o beginning -e -q -f 'partition %p offset %o key %k value %s\n'
cat <<MSG

sluiced is running on $b with its data in ./data. Try:
  kcat -b $b -L                                      # brokers and topics
  printf 'k:v\n' | kcat -b $b -P -t demo -K:         # produce (key:value lines)
  kcat -b $b -C -t demo -o beginning -e              # consume from the start
Ctrl-C stops it cleanly; the data stays in ./data for the next run.
MSG
[ "${SLUICE_DEMO_ONLY:-0}" = 1 ] && exit 0
wait $pid
