#!/bin/sh
# The streams part of make bench (bench/run.sh runs it with BINDIR):
#
#   engine   bench_streams engine: map/filter, count, windowed count and a
#            stream-table join in the test driver, no broker
#   store    bench_streams_store (the store part's): LMDB store cost per
#            update and its own restore figure, printed as it prints them
#   e2e      bench_streams e2e: the same four topologies as an application
#            against a fresh sluiced (input produced beforehand), then the
#            restore rate of a count store rebuilt from its changelog; the
#            four again with consumer.fetch.max.wait.ms=10
#
# then a table of the figures. sluiced listens on a free 127.0.0.1 port with
# its data in a temporary directory removed at the end, however it ends.
# SL_BENCH_STREAMS_RECORDS sets the e2e input (default 200000 records),
# SL_BENCH_STREAMS_RESTORE the changelog records of the restore figure
# (default 500000).
set -eu
bindir=$1
[ -x "$bindir/bench_streams" ] || { echo "run_streams.sh: $bindir/bench_streams is not built" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-streams.XXXXXX")
res=$tmp/results
: >"$res"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
failed=0
# run NAME CMD...: CMD's output shown and kept in $res; a failure counted.
run() {
  name=$1
  shift
  "$@" >"$tmp/$name.out" || { echo "run_streams.sh: $name failed" >&2; failed=$((failed + 1)); }
  cat "$tmp/$name.out" >>"$res"
  cat "$tmp/$name.out"
}

echo
echo "== streams: engine (test driver)"
run engine "$bindir/bench_streams" engine

if [ -x "$bindir/bench_streams_store" ]; then
  echo
  echo "== streams: store (bench_streams_store)"
  run store sh -c 'cd "$1" && exec "$2"' - "$tmp" "$bindir/bench_streams_store"
fi

echo
echo "== streams: end to end against sluiced"
port=$("$bindir/bench_broker" freeport)
b=127.0.0.1:$port
mkdir -p "$tmp/log"
"$bindir/sluiced" --override sluice.roles=broker --override "listeners=PLAINTEXT://$b" --override "log.dirs=$tmp/log" \
  --override group.initial.rebalance.delay.ms=0 >"$tmp/sluiced.out" 2>&1 &
pid=$!
i=0
until "$bindir/bench_broker" wait "$b" -d 0.5 2>/dev/null; do
  i=$((i + 1))
  if [ $i -ge 30 ] || ! kill -0 $pid 2>/dev/null; then
    echo "run_streams.sh: sluiced is not listening on $b:" >&2
    cat "$tmp/sluiced.out" >&2
    exit 1
  fi
done
run e2e env TMPDIR="$tmp" timeout -k 5 1200 "$bindir/bench_streams" e2e -b "$b" \
  -n "${SL_BENCH_STREAMS_RECORDS:-200000}" -r "${SL_BENCH_STREAMS_RESTORE:-500000}"
# Again with the consumer's fetch wait at 10 ms instead of 500: where a task
# waits on a caught-up partition, the default makes it wait for the broker's
# fetch timeout (docs/BENCHMARKS.md), which this shows.
run e2e_fw env TMPDIR="$tmp" timeout -k 5 600 "$bindir/bench_streams" e2e -b "$b" \
  -n "${SL_BENCH_STREAMS_RECORDS:-200000}" -r 0 -V fetch.max.wait.ms=10 -X consumer.fetch.max.wait.ms=10

echo
echo "streams runtime: records/s, and per core of CPU time (engine: the process; e2e: the"
echo "application's threads, from RUNNING to the last output); targets: stateless >= 1.5 M/s/core"
echo "in the engine, restore >= 500 k records/s"
echo
awk 'function commas(x,    s) {
    s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
  BEGIN { printf "| figure | records | records/s | records/s/core | target | met |\n|---|---:|---:|---:|---|---|\n" }
  $1 == "result" && / mode=streams_(engine|e2e|restore) / {
    delete v
    for (i = 2; i <= NF; i++) { j = index($i, "="); v[substr($i, 1, j - 1)] = substr($i, j + 1) }
    m = v["mode"] == "streams_engine" ? "engine" : v["mode"] == "streams_e2e" ? "end to end" : "restore"
    if (v["variant"] != "" && v["variant"] != "defaults") m = m " (" v["variant"] ")"
    t = "-"; ok = "-"
    if (m == "engine" && v["op"] == "map_filter") { t = ">= 1,500,000/core"; ok = v["rec_s_core"] + 0 >= 1500000 ? "yes" : "**no**" }
    if (m == "restore") { t = ">= 500,000/s"; ok = v["rec_s"] + 0 >= 500000 ? "yes" : "**no**" }
    printf "| %s %s | %s | %s | %s | %s | %s |\n", m, v["op"], commas(v["records"]), commas(v["rec_s"]),
      v["rec_s_core"] == "" ? "-" : commas(v["rec_s_core"]), t, ok
  }' "$res"
if [ $failed -gt 0 ]; then
  echo
  echo "run_streams.sh: $failed streams benchmark run(s) failed (see the messages above)" >&2
  exit 1
fi
