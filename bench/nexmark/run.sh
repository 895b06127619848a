#!/bin/sh
# The SQL part of the benchmarks: bench_sql (bench/bench_sql.c) in BINDIR on
# the Nexmark queries of this directory, through the runtime's bytes (raw)
# and through sl_sql_local_produce's JSON text (text), then one table of
# events per second per core. bench_sql keeps its state directories in a
# temporary directory of its own under /tmp and removes it.
# SL_BENCH_SQL_EVENTS sets the events per query (default 200000).
set -eu
bindir=$1
[ -x "$bindir/bench_sql" ] || { echo "nexmark/run.sh: $bindir/bench_sql is not built" >&2; exit 1; }
n=${SL_BENCH_SQL_EVENTS:-200000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-sql-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
failed=0
for path in raw text; do
  echo "== sql: Nexmark, $n events a query, $path path"
  "$bindir/bench_sql" -n "$n" -p "$path" >"$tmp/$path" || failed=1
  cat "$tmp/$path"
done
echo
echo "Nexmark on a local engine, events/s per core (CPU time of the process):"
printf '%-6s %14s %14s %10s\n' query raw text outputs
for q in q0 q1 q2 q3 q4 q5 q7 q8; do
  raw=$(sed -n "s/^result query=$q .*events_per_core_s=\([0-9]*\).*/\1/p" "$tmp/raw")
  text=$(sed -n "s/^result query=$q .*events_per_core_s=\([0-9]*\).*/\1/p" "$tmp/text")
  outs=$(sed -n "s/^result query=$q .*outputs=\([0-9]*\).*/\1/p" "$tmp/raw")
  printf '%-6s %14s %14s %10s\n' "$q" "${raw:--}" "${text:--}" "${outs:--}"
done
exit $failed
