#!/bin/sh
# The Connect part of make bench (bench/run.sh runs it with BINDIR): a
# standalone worker (sluice-connect-standalone) against a broker-only sluiced
# of its own, DatagenSource -> topic -> FileStreamSink, end to end:
#
#   pageviews  JSON values without schemas (value.converter.schemas.enable=false)
#   orders     JSON values with Kafka's schema envelope (a nested struct)
#
# Each run makes a fixed number of records (SL_BENCH_CONNECT_RECORDS, default
# 1000000; iterations= of one datagen task, max.interval=0, no rate limit) and
# is timed from the worker's start to the sink's file holding every line
# (records/s end to end), and from the first line to the last (the steady
# rate); the file must then hold exactly that many lines (a clean run has no
# duplicates). The worker's CPU over the run is shown as cores busy.
#
# The peer: bench_broker (librdkafka) producing records of the same average
# size (the sink's line length) to the same sluiced, acks=1, for
# SL_BENCH_SECONDS (default 3). It only produces, so the ratio says what
# share of a bare producer's rate the whole pipeline (generate, convert,
# produce, consume, convert, write) keeps.
#
# Then the PostgreSQL sink's rows/s: bench/connect/postgres.sh BINDIR when it
# is there (it prints its own figures).
#
# sluiced listens on a free 127.0.0.1 port, everything lives in one temporary
# directory, and every process is stopped when this script exits, however it
# exits.
set -eu
bindir=$1
here=$(dirname "$0")
n=${SL_BENCH_CONNECT_RECORDS:-1000000}
secs=${SL_BENCH_SECONDS:-3}
plugins=$(cd "$bindir/.." && pwd)/connect-plugins
for f in "$bindir/sluiced" "$bindir/sluice-connect-standalone" "$bindir/bench_broker"; do
  [ -x "$f" ] || { echo "connect/run.sh: $f is not built" >&2; exit 1; }
done
for f in datagen file_sink; do
  [ -f "$plugins/$f.so" ] || { echo "connect/run.sh: $plugins/$f.so is not built" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-connect.XXXXXX")
pids=""
stop_pid() {  # TERM, up to 10 s to go, then KILL
  kill -TERM "$1" 2>/dev/null || true
  i=0
  while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  pids=$(echo " $pids " | sed "s/ $1 / /")
}
cleanup() {
  for p in $pids; do stop_pid "$p"; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now() { date +%s.%N; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)

echo
echo "== connect: DatagenSource -> sluiced -> FileStreamSink, $n records a run," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine skews every figure)"
port=$("$bindir/bench_broker" freeport)
b=127.0.0.1:$port
mkdir -p "$tmp/log"
"$bindir/sluiced" --override sluice.roles=broker --override "listeners=PLAINTEXT://$b" \
  --override "log.dirs=$tmp/log" --override group.initial.rebalance.delay.ms=0 \
  >"$tmp/sluiced.out" 2>&1 &
broker=$!
pids="$pids $broker"
i=0
until "$bindir/bench_broker" wait "$b" -d 0.5 2>/dev/null; do
  i=$((i + 1))
  if [ $i -ge 30 ] || ! kill -0 $broker 2>/dev/null; then
    echo "connect/run.sh: sluiced is not listening on $b:" >&2
    cat "$tmp/sluiced.out" >&2
    exit 1
  fi
done

failed=0
# e2e QUICKSTART SCHEMAS: one run; prints its figures and keeps the average
# line length in $tmp/QUICKSTART.size for the peer.
e2e() {
  q=$1
  schemas=$2
  dir=$tmp/$q
  mkdir -p "$dir"
  cat >"$dir/worker.properties" <<EOF
bootstrap.servers=$b
connect.plugin.path=$plugins
offset.storage.file.filename=$dir/offsets.json
offset.flush.interval.ms=1000
listeners=http://127.0.0.1:$("$bindir/bench_broker" freeport)
log.level=warn
EOF
  cat >"$dir/datagen.properties" <<EOF
name=datagen-$q
connector.class=DatagenSource
quickstart=$q
kafka.topic=dg-$q
iterations=$n
max.interval=0
random.seed=1
key.converter=string
value.converter=json
value.converter.schemas.enable=$schemas
EOF
  cat >"$dir/sink.properties" <<EOF
name=sink-$q
connector.class=FileStreamSink
topics=dg-$q
file=$dir/out.txt
key.converter=string
value.converter=string
EOF
  t0=$(now)
  "$bindir/sluice-connect-standalone" "$dir/worker.properties" "$dir/datagen.properties" \
    "$dir/sink.properties" >"$dir/worker.out" 2>&1 &
  w=$!
  pids="$pids $w"
  c0=$(ticks $w)
  tfirst=""
  got=0
  deadline=$(awk -v t="$t0" 'BEGIN { printf "%.0f", t + 900 }')
  while :; do
    got=$(wc -l 2>/dev/null <"$dir/out.txt" || echo 0)
    [ -z "$tfirst" ] && [ "$got" -gt 0 ] && { tfirst=$(now); first=$got; }
    [ "$got" -ge "$n" ] && break
    if ! kill -0 $w 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
      echo "connect/run.sh: $q: $got of $n lines arrived; the worker said:" >&2
      tail -n 20 "$dir/worker.out" >&2
      failed=$((failed + 1))
      stop_pid $w
      return 0
    fi
    sleep 0.05
  done
  t1=$(now)
  c1=$(ticks $w)
  stop_pid $w
  got=$(wc -l <"$dir/out.txt")
  [ "$got" -eq "$n" ] || { echo "connect/run.sh: $q: the sink wrote $got lines, want $n" >&2; failed=$((failed + 1)); }
  size=$(awk -v n="$got" 'BEGIN { s = 0 } { s += length($0) } END { printf "%d", n ? s / n : 0 }' "$dir/out.txt")
  echo "$size" >"$tmp/$q.size"
  awk -v q="$q" -v s="$schemas" -v n="$n" -v t0="$t0" -v tf="$tfirst" -v t1="$t1" -v f="$first" \
    -v size="$size" -v c0="$c0" -v c1="$c1" -v hz="$hz" 'BEGIN {
      printf "result label=connect mode=e2e quickstart=%s schemas=%s records=%d size=%d rec_s=%.0f steady_rec_s=%.0f seconds=%.2f worker_cores=%.2f\n",
        q, s, n, size, n / (t1 - t0), (t1 > tf ? (n - f) / (t1 - tf) : 0), t1 - t0, (c1 - c0) / hz / (t1 - t0) }' \
    >>"$tmp/results"
  tail -n 1 "$tmp/results" | sed 's/^result /  /'
}

: >"$tmp/results"
e2e pageviews false
e2e orders true

# The peer: librdkafka producing records of the same size to the same broker.
for q in pageviews orders; do
  [ -s "$tmp/$q.size" ] || continue
  size=$(cat "$tmp/$q.size")
  [ "$size" -ge 24 ] || size=24
  if out=$(timeout -k 5 120 "$bindir/bench_broker" produce -b "$b" -l peer -t "peer-$q" -s "$size" -p 1 -d "$secs"); then
    echo "$out quickstart=$q" >>"$tmp/results"
    echo "  peer (bench_broker produce, librdkafka, acks=1): size=$size $(echo "$out" | grep -o 'msg_s=[0-9.]*')"
  else
    echo "connect/run.sh: bench_broker produce failed" >&2
    failed=$((failed + 1))
  fi
done
stop_pid $broker

echo
echo "| run | records | end to end | steady (first line to last) | worker cores | peer: librdkafka produce, same size | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
awk 'function commas(x,    s) {
      s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
  $1 == "result" {
    delete v
    for (i = 2; i <= NF; i++) { j = index($i, "="); v[substr($i, 1, j - 1)] = substr($i, j + 1) }
    if (v["label"] == "connect") { order[++k] = v["quickstart"]; e2e[v["quickstart"]] = $0 }
    if (v["label"] == "peer") peer[v["quickstart"]] = v["msg_s"]
  }
  END {
    for (i = 1; i <= k; i++) {
      q = order[i]; n = split(e2e[q], f, " "); delete v
      for (j = 2; j <= n; j++) { p = index(f[j], "="); v[substr(f[j], 1, p - 1)] = substr(f[j], p + 1) }
      ratio = peer[q] + 0 > 0 ? sprintf("%.2fx", v["rec_s"] / peer[q]) : "-"
      printf("| %s, JSON %s, %d B lines | %s | %s rec/s | %s rec/s | %s | %s msg/s | %s |\n", q,
        v["schemas"] == "true" ? "with schemas" : "without schemas", v["size"], commas(v["records"]),
        commas(v["rec_s"]), commas(v["steady_rec_s"]), v["worker_cores"],
        peer[q] == "" ? "-" : commas(peer[q]), ratio)
    }
  }' "$tmp/results"

if [ -x "$here/postgres.sh" ]; then
  "$here/postgres.sh" "$bindir" || { echo "connect/run.sh: the PostgreSQL sink benchmark failed" >&2; failed=$((failed + 1)); }
else
  echo
  echo "== connect: PostgreSQL sink: bench/connect/postgres.sh is not there yet; no rows/s figure"
fi
[ $failed = 0 ] || { echo "connect/run.sh: $failed run(s) failed" >&2; exit 1; }
