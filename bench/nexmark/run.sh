#!/bin/sh
# The SQL part of the benchmarks: bench_sql (bench/bench_sql.c) in BINDIR on
# the Nexmark queries of this directory, in process on a local engine
# through the runtime's bytes (raw) and through sl_sql_local_produce's JSON
# text (text), then end to end: a cluster engine in bench_sql against a
# sluiced of its own (broker role only, a free 127.0.0.1 port, its log in
# this script's temporary directory), the events produced with Sluice's
# producer. Then one table of events per second per core for both.
# bench_sql keeps its state directories in a temporary directory of its own
# under /tmp and removes it; this script removes its own however it ends.
#
# SL_BENCH_SQL_EVENTS         events a query in process (default 200000)
# SL_BENCH_SQL_E2E_EVENTS     events a stateless query (q0-q2) end to end
#                             (default 1000000)
# SL_BENCH_SQL_E2E_STATEFUL   events a stateful query (q3-q8) end to end
#                             (default 200000)
# SL_BENCH_SQL_E2E_TIMEOUT    seconds a query may take end to end (default 180)
# SL_BENCH_SQL_E2E=0          skips the end-to-end runs
set -eu
bindir=$1
[ -x "$bindir/bench_sql" ] || { echo "nexmark/run.sh: $bindir/bench_sql is not built" >&2; exit 1; }
n=${SL_BENCH_SQL_EVENTS:-200000}
e2e=${SL_BENCH_SQL_E2E:-1}
n_e2e=${SL_BENCH_SQL_E2E_EVENTS:-1000000}
n_e2e_st=${SL_BENCH_SQL_E2E_STATEFUL:-200000}
e2e_timeout=${SL_BENCH_SQL_E2E_TIMEOUT:-180}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-sql-run.XXXXXX")
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
for path in raw text; do
  echo "== sql: Nexmark, $n events a query, $path path"
  "$bindir/bench_sql" -n "$n" -p "$path" >"$tmp/$path" || failed=1
  cat "$tmp/$path"
done

: >"$tmp/e2e"
if [ "$e2e" != 0 ]; then
  if [ -x "$bindir/sluiced" ] && [ -x "$bindir/bench_broker" ]; then
    port=$("$bindir/bench_broker" freeport)
    b=127.0.0.1:$port
    mkdir -p "$tmp/log"
    # Event times are 2023's: retention must not delete them.
    "$bindir/sluiced" --override sluice.roles=broker --override "listeners=PLAINTEXT://$b" \
      --override "log.dirs=$tmp/log" --override group.initial.rebalance.delay.ms=0 \
      --override log.retention.ms=-1 >"$tmp/sluiced.out" 2>&1 &
    pid=$!
    i=0
    until "$bindir/bench_broker" wait "$b" -d 0.5 2>/dev/null; do
      i=$((i + 1))
      if [ $i -ge 30 ] || ! kill -0 $pid 2>/dev/null; then
        echo "nexmark/run.sh: sluiced is not listening on $b:" >&2
        cat "$tmp/sluiced.out" >&2
        exit 1
      fi
    done
    echo "== sql: Nexmark end to end against sluiced on $b: q0-q2 $n_e2e events, q3-q8 $n_e2e_st"
    for set in "q0,q1,q2 $n_e2e" "q3,q4,q5,q7,q8 $n_e2e_st"; do
      qs=${set% *}
      cnt=${set#* }
      nq=$(echo "$qs" | tr ',' '\n' | wc -l)
      env TMPDIR="$tmp" timeout -k 5 $((e2e_timeout * nq + 120)) "$bindir/bench_sql" -b "$b" -P "$pid" \
        -n "$cnt" -q "$qs" -T "$e2e_timeout" >"$tmp/e2e.part" 2>"$tmp/e2e.err" || {
        failed=1
        grep -v ' INFO ' "$tmp/e2e.err" >&2 || true
      }
      cat "$tmp/e2e.part"
      cat "$tmp/e2e.part" >>"$tmp/e2e"
    done
  else
    echo "== sql: sluiced or bench_broker is not built; no end-to-end Nexmark figures"
  fi
fi

echo
echo "Nexmark, events/s per core: in process on a local engine (CPU time of the process), and end to end"
echo "(first produce to the sink's last output; CPU time of bench_sql and sluiced together):"
printf '%-6s %12s %12s %10s %12s %12s %10s %10s\n' query raw text outputs e2e e2e/s e2e-events e2e-outs
for q in q0 q1 q2 q3 q4 q5 q7 q8; do
  raw=$(sed -n "s/^result query=$q .*events_per_core_s=\([0-9]*\).*/\1/p" "$tmp/raw")
  text=$(sed -n "s/^result query=$q .*events_per_core_s=\([0-9]*\).*/\1/p" "$tmp/text")
  outs=$(sed -n "s/^result query=$q .*outputs=\([0-9]*\).*/\1/p" "$tmp/raw")
  e2c=$(sed -n "s/^result query=$q .*events_per_core_s=\([0-9]*\).*/\1/p" "$tmp/e2e")
  e2s=$(sed -n "s/^result query=$q .*events_per_s=\([0-9]*\).*/\1/p" "$tmp/e2e")
  e2n=$(sed -n "s/^result query=$q .*events=\([0-9]*\).*/\1/p" "$tmp/e2e")
  e2o=$(sed -n "s/^result query=$q .*outputs=\([0-9]*\).*/\1/p" "$tmp/e2e")
  printf '%-6s %12s %12s %10s %12s %12s %10s %10s\n' "$q" "${raw:--}" "${text:--}" "${outs:--}" \
    "${e2c:--}" "${e2s:--}" "${e2n:--}" "${e2o:--}"
done
exit $failed
