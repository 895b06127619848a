#!/bin/sh
# make bench: runs every benchmark program in BINDIR and prints its figures,
# then the broker figures:
#
#   the broker under test  sluiced (sluice-wiretap while sluiced is not built;
#                          SL_BENCH_BROKER=sluiced|wiretap|none overrides)
#   peers                  peer_mock (librdkafka's in-memory mock cluster, own
#                          process), redis-server (XADD, no persistence),
#                          probe_tcp (loopback TCP), probe_disk (write+fdatasync
#                          in the broker's log directory)
#   driver                 bench_broker (librdkafka), the same for every broker;
#                          bench_group (librdkafka) for consumer group rebalances
#                          and synchronous commits; bench_txn (librdkafka) for
#                          transactional produce against the idempotent producer;
#                          bench_client: Sluice's own client (client.h) against
#                          librdkafka, same brokers and settings: produce runs
#                          to peer_mock, consume runs from a filled sluiced
#
# sluiced runs with group.initial.rebalance.delay.ms=0 (as Kafka users set it in
# tests), so forming the measured groups does not wait 3 s. The log cleaner
# has a part of its own: bench_cleaner through the log library, in a
# temporary directory.
# The streams runtime has one too (bench/run_streams.sh, run before the
# broker part): bench_streams in the test driver and end to end against a
# sluiced of its own, and bench_streams_store; skipped while bench_streams
# is not built.
# The SQL engine has one too (bench/nexmark/run.sh, run after the streams
# part): bench_sql on the Nexmark queries in a local engine (through the
# runtime's bytes and through JSON text) and end to end (a cluster engine
# against a sluiced of its own), then its table of events/s per core;
# skipped while bench_sql is not built.
# Connect has one too (bench/connect/run.sh, run after the SQL part):
# DatagenSource -> sluiced -> FileStreamSink records/s end to end with a
# standalone worker against a sluiced of its own, next to librdkafka producing
# records of the same size, then the PostgreSQL sink's rows/s; skipped while
# sluice-connect-standalone is not built.
#
# Every process listens on a free 127.0.0.1 port, works in one temporary
# directory and is stopped when this script exits, however it exits. Each
# figure runs SL_BENCH_SECONDS (default 3) seconds. SL_BENCH_PARTS="micro cleaner streams
# sql connect broker" (the default) picks which parts run; SL_BENCH_RESULTS=FILE keeps
# every result line (key=value) of the broker part.
set -eu
bindir=$1
secs=${SL_BENCH_SECONDS:-3}
echo "== Sluice benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -m)"
parts=${SL_BENCH_PARTS:-micro cleaner streams sql connect broker}
case " $parts " in
  *" micro "*)
    for b in bench_base bench_proto; do
      echo
      echo "== $b"
      "$bindir/$b"
    done ;;
esac
case " $parts " in
  *" cleaner "*)
    echo
    echo "== bench_cleaner"
    cdir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-cleaner.XXXXXX")
    crc=0
    "$bindir/bench_cleaner" "$cdir" >"$cdir/out" || crc=$?
    grep -v '^result ' "$cdir/out" || true
    rm -rf "$cdir"
    [ $crc = 0 ] || { echo "run.sh: bench_cleaner failed" >&2; exit 1; } ;;
esac
case " $parts " in
  *" streams "*)
    if [ -x "$bindir/bench_streams" ]; then
      "$(dirname "$0")/run_streams.sh" "$bindir" || { echo "run.sh: the streams part failed" >&2; exit 1; }
    else
      echo
      echo "== streams: bench_streams is not built (libsluice-streams incomplete); no streams figures"
    fi ;;
esac
case " $parts " in
  *" sql "*)
    echo
    if [ -x "$bindir/bench_sql" ]; then
      "$(dirname "$0")/nexmark/run.sh" "$bindir" || { echo "run.sh: the sql part failed" >&2; exit 1; }
    else
      echo "== sql: bench_sql is not built (libsluice-sql incomplete); no Nexmark figures"
    fi ;;
esac
case " $parts " in
  *" connect "*)
    if [ -x "$bindir/sluice-connect-standalone" ]; then
      "$(dirname "$0")/connect/run.sh" "$bindir" || { echo "run.sh: the connect part failed" >&2; exit 1; }
    else
      echo
      echo "== connect: sluice-connect-standalone is not built; no Connect figures"
    fi ;;
esac

broker=${SL_BENCH_BROKER:-auto}
case " $parts " in *" broker "*) ;; *) exit 0 ;; esac
[ "$broker" = none ] && exit 0
if [ "$broker" = auto ]; then
  if [ -x "$bindir/sluiced" ]; then broker=sluiced; else broker=wiretap; fi
fi
case $broker in
  sluiced|wiretap) ;;
  *) echo "run.sh: SL_BENCH_BROKER wants sluiced, wiretap or none, got '$broker'" >&2; exit 2 ;;
esac

drv=$bindir/bench_broker
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")
res=$tmp/results
: >"$res"
pids=""

stop_pid() {  # TERM, up to 5 s to go, then KILL
  kill -TERM "$1" 2>/dev/null || true
  i=0
  while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  pids=$(echo " $pids " | sed "s/ $1 / /")
}
cleanup() {
  for p in $pids; do stop_pid "$p"; done
  [ -n "${SL_BENCH_RESULTS:-}" ] && cp "$res" "$SL_BENCH_RESULTS"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_bg() {  # start_bg NAME CMD...: output in $tmp/NAME.out, pid in $last_pid
  name=$1
  shift
  "$@" >"$tmp/$name.out" 2>&1 &
  last_pid=$!
  pids="$pids $last_pid"
}

# val "FILTER" KEY: KEY's value on the first result line containing FILTER.
val() {
  awk -v f="$1" -v k="$2" 'index($0, f) && !done {
      for (i = 2; i <= NF; i++) { n = index($i, "="); if (substr($i, 1, n - 1) == k) v = substr($i, n + 1) }
      done = 1 }
    END { print v }' "$res"
}

# drive_on PID ARGS...: one driver run against the broker whose process is PID;
# its result line goes to $res and, shortened, to the screen. PID's CPU use over
# the run (utime + stime per second) is added as broker_cores, next to the
# driver's own client_cores. A failed run (errors, lost or undelivered messages)
# against sluiced fails make bench once the table is printed.
failed=0
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
hz=$(getconf CLK_TCK)
drive_on() { drive_with "$drv" "$@"; }
drive_with() {  # drive_with PROGRAM PID ARGS...: drive_on with another driver
  prog=$1
  pid=$2
  shift 2
  t0=$(now)
  c0=$(ticks "$pid")
  if out=$(timeout -k 5 120 "$prog" "$@"); then :; else
    echo "   driver failed: ${prog##*/} $*" >&2
    case " $* " in *" -l sluiced "*) failed=$((failed + 1)) ;; esac
  fi
  [ -n "$out" ] || return 0
  out="$out broker_cores=$(awk -v a="$c0" -v b="$(ticks "$pid")" -v t0="$t0" -v t1="$(now)" -v hz="$hz" \
    'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) }')"
  echo "$out" >>"$res"
  echo "$out" | awk '{ s = "  "; for (i = 2; i <= NF; i++)
      if ($i ~ /^(label|mode|topic|acks|msg_s|mb_s|batch_msgs|rate|p50_ms|p99_ms|lost|passes|assignor|join_ms_p50|leave_ms_p50|commits_s|client_cores|broker_cores)=/) s = s " " $i
      print s }'
}

echo
echo "== broker: $broker against peers; $secs s per figure; work dir $tmp"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"

# --- loopback TCP ceiling ------------------------------------------------
"$bindir/probe_tcp" "$secs" | tee -a "$res"

# --- start the brokers --------------------------------------------------
# All of them run (idle when not driven) from here to the end, so that each
# peer figure is taken right next to sluiced's, under the same conditions.
start_bg mock "$bindir/peer_mock" p100x1:1 p100x6:6 p1024x1:1 p1024x6:6
mock_pid=$last_pid
i=0
until grep -q '^bootstrap=' "$tmp/mock.out" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 100 ] || ! kill -0 $mock_pid 2>/dev/null; then
    echo "run.sh: peer_mock did not start:" >&2
    cat "$tmp/mock.out" >&2
    exit 1
  fi
  sleep 0.1
done
mock=$(sed -n 's/^bootstrap=//p' "$tmp/mock.out")

port=$("$drv" freeport)
b=127.0.0.1:$port
logdir=$tmp/log
start_broker() {  # the broker under test on $b, with an empty $logdir
  rm -rf "$logdir"
  mkdir -p "$logdir"
  if [ "$broker" = sluiced ]; then
    start_bg sluiced "$bindir/sluiced" --override sluice.roles=broker --override "listeners=PLAINTEXT://$b" --override "log.dirs=$logdir" \
      --override group.initial.rebalance.delay.ms=0
  else
    start_bg wiretap "$bindir/sluice-wiretap" --listen "$b" --partitions 6 --quiet
  fi
  broker_pid=$last_pid
  i=0
  until "$drv" wait "$b" -d 0.5 2>/dev/null; do
    i=$((i + 1))
    if [ $i -ge 30 ] || ! kill -0 $broker_pid 2>/dev/null; then
      echo "run.sh: $broker is not listening on $b:" >&2
      cat "$tmp/$broker.out" >&2
      exit 1
    fi
  done
}
start_broker

redis=""
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  rport=$("$drv" freeport)
  mkdir -p "$tmp/redis"
  start_bg redis redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp/redis" --daemonize no
  redis_pid=$last_pid
  if "$drv" wait "127.0.0.1:$rport" -d 10; then
    redis=127.0.0.1:$rport
  else
    echo "run.sh: redis-server did not start; no redis figures" >&2
  fi
else
  echo "run.sh: redis-server or redis-benchmark missing (make deps installs them); no redis figures" >&2
fi

# xadd SIZE: redis-benchmark, 50 connections, 16 pipelined XADDs each, about $secs s.
xadd() {
  payload=$(head -c "$1" /dev/zero | tr '\0' x)
  rb() {  # rb N: requests per second of N XADDs
    timeout -k 5 60 redis-benchmark -h 127.0.0.1 -p "$rport" -c 50 -P 16 -n "$1" --csv \
      XADD "bench$s" '*' f "$payload" | awk -F'","' 'NR == 2 { print $2 + 0 }'
  }
  guess=$(rb 100000)
  n=$(awk -v r="$guess" -v s="$secs" 'BEGIN { n = r * s; printf "%.0f", n < 100000 ? 100000 : n }')
  rps=$(rb "$n")
  [ -n "$rps" ] || { echo "   redis-benchmark failed" >&2; return 0; }
  echo "result label=redis mode=xadd topic=redis$1 size=$1 partitions=1 acks=- msgs=$n msg_s=$rps" \
    "mb_s=$(awk -v r="$rps" -v s="$1" 'BEGIN { printf "%.2f", r * s / 1e6 }')" >>"$res"
  echo "   label=redis mode=xadd size=$1 msg_s=$rps"
}

# Every figure starts with the page cache written back, so none pays for the
# previous one's writes.
quiet() { sync -f "$logdir" 2>/dev/null || sync; }

# --- synced produce first, while nothing else is queued for the disk -------
quiet
for s in 100 1024; do
  drive_on $broker_pid produce -b "$b" -l "$broker" -t "f${s}x1" -s $s -p 1 -d "$secs" -a all -c -C flush.messages=1
done
sizes="100 1024"
for s in 100 1024; do
  bb=$(val "label=$broker mode=produce topic=f${s}x1 " batch_bytes)
  [ -n "$bb" ] && [ "$bb" -gt 0 ] 2>/dev/null && sizes="$sizes $bb"
done
quiet
"$bindir/probe_disk" "$logdir" "$(awk -v s="$secs" 'BEGIN { print s / 2 }')" $sizes | tee -a "$res"

# --- produce, acks=1: the mock, sluiced and redis back to back ------------
for s in 100 1024; do
  for p in 1 6; do
    quiet
    drive_on $mock_pid produce -b "$mock" -l mock -t "p${s}x$p" -s $s -p $p -d "$secs"
    drive_on $broker_pid produce -b "$b" -l "$broker" -t "p${s}x$p" -s $s -p $p -d "$secs" -c
    [ $p = 1 ] && [ -n "$redis" ] && xadd $s
  done
done

# --- consume what the produce runs left ----------------------------------
quiet
drive_on $broker_pid consume -b "$b" -l "$broker" -t p1024x6 -p 6 -d "$secs"
drive_on $broker_pid consume -b "$b" -l "$broker" -t p100x1 -p 1 -d "$secs"

# --- latency at half the produce maximum ---------------------------------
# The mock runs at the same rate. It does not answer a waiting Fetch when data
# arrives (only when fetch.wait.max.ms runs out), so its consumer polls every
# millisecond: what librdkafka itself adds at this rate, not a broker's figure.
for s in 100 1024; do
  max=$(val "label=$broker mode=produce topic=p${s}x1 " msg_s)
  [ -n "$max" ] || continue
  r=$(awk -v m="$max" 'BEGIN { printf "%.0f", m / 2 }')
  quiet
  drive_on $broker_pid latency -b "$b" -l "$broker" -t "lat${s}x1" -s $s -p 1 -d "$secs" -c -r "$r"
  drive_on $mock_pid latency -b "$mock" -l mock -t "p${s}x1" -s $s -p 1 -d "$secs" -r "$r" -X fetch.wait.max.ms=1
done

# --- consumer groups -----------------------------------------------------
# Rebalances against sluiced only: the mock's group coordinator ends a
# rebalance on a timer (session.timeout.ms - 1 s), not when every member has
# rejoined, so it gives no figure to compare with (docs/BENCHMARKS.md).
# heartbeat.interval.ms=100 so that a run takes seconds, not minutes.
# Synchronous commits: the mock, then sluiced, on the topic p100x1 the
# produce runs filled.
if [ "$broker" = sluiced ]; then
  grp=$bindir/bench_group
  for a in range cooperative-sticky; do
    drive_with "$grp" $broker_pid rebalance -b "$b" -l "$broker" -t grp60 -p 60 -c -n 10 -r 5 -a $a \
      -X heartbeat.interval.ms=100
  done
  drive_with "$grp" $mock_pid commit -b "$mock" -l mock -t p100x1 -d "$secs"
  drive_with "$grp" $broker_pid commit -b "$b" -l "$broker" -t p100x1 -d "$secs"
fi

# --- transactions --------------------------------------------------------
# bench_txn: transactions of 1, 100 and 10,000 messages against an idempotent
# producer, 2 s each, the cycle 3 times (about 25 s); its table is printed
# at the end. A broker that completes no init_transactions (exit 3) gets
# its reason printed and no figures, without failing make bench.
txn_rc=none
if [ "$broker" = sluiced ]; then
  quiet
  txn_rc=0
  timeout -k 5 180 "$bindir/bench_txn" -b "$b" -l "$broker" -t txn100x3 -s 100 -p 3 -d 2 -r 3 -c \
    >"$tmp/txn.out" 2>"$tmp/txn.err" || txn_rc=$?
  grep '^result ' "$tmp/txn.out" >>"$res" || true
  if [ $txn_rc = 0 ]; then echo "   transactions: done";
  elif [ $txn_rc = 3 ]; then echo "   transactions: skipped: $(tail -n 1 "$tmp/txn.err")";
  else
    echo "   transactions: bench_txn failed (exit $txn_rc):" >&2
    cat "$tmp/txn.err" >&2
    failed=$((failed + 1))
  fi
fi

# --- our client against librdkafka ----------------------------------------
# bench_client: Sluice's producer and consumer against librdkafka's on one
# partition, 100 B and 1 KiB, acks=1 and all: three alternating produce runs
# each against the mock (in memory, so the clients are the limit, not a
# broker writing fresh page cache; the topic is auto-created there), then
# sluiced is filled (by Sluice's producer, not a figure) and three
# alternating consume runs read it from the start; its table is printed at
# the end.
client_ran=no
if [ "$broker" = sluiced ] && [ -x "$bindir/bench_client" ]; then
  client_ran=yes
  for s in 100 1024; do
    for a in 1 all; do
      # A fresh broker each time: a 1 KiB fill writes GBs, which would
      # otherwise pile up with everything written before.
      stop_pid $broker_pid
      start_broker
      quiet
      if ! timeout -k 5 300 "$bindir/bench_client" -b "$b" -l "$broker" -P "$mock" -L mock -t "cl${s}a$a" \
        -s $s -a $a -d "$secs" -c >"$tmp/client.out" 2>"$tmp/client.err"; then
        echo "   bench_client failed (-s $s -a $a):" >&2
        cat "$tmp/client.err" >&2
        failed=$((failed + 1))
      fi
      grep '^result ' "$tmp/client.out" >>"$res" || true
    done
  done
  echo "   client against librdkafka: done"
fi
stop_pid $broker_pid
stop_pid $mock_pid
[ -n "$redis" ] && stop_pid $redis_pid

# --- the table -----------------------------------------------------------
echo
echo "== broker figures: $broker (payload bytes; ratio = $broker / peer);" \
  "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk -v B="$broker" -f - "$res" <<'EOF'
function get(label, mode, topic, key,    i, n, v) {
    v = ""
    for (i = 1; i <= nl; i++)
        if (index(line[i], "label=" label " mode=" mode " topic=" topic " ")) {
            v = field(line[i], key)
            break
        }
    return v
}
function probe(kind, size, key,    i) {
    for (i = 1; i <= nl; i++)
        if (index(line[i], "probe=" kind " ") && (size == "" || index(line[i], " size=" size " ")))
            return field(line[i], key)
    return ""
}
function field(l, key,    n, f, i, j) {
    n = split(l, f, " ")
    for (i = 2; i <= n; i++) {
        j = index(f[i], "=")
        if (substr(f[i], 1, j - 1) == key)
            return substr(f[i], j + 1)
    }
    return ""
}
function commas(x,    s, neg) {
    s = sprintf("%.0f", x)
    neg = substr(s, 1, 1) == "-"
    if (neg) s = substr(s, 2)
    while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
    return (neg ? "-" : "") s
}
function mb(x) { return x + 0 >= 100 ? commas(x) : sprintf("%.1f", x) }
function rate(m, b) { return m == "" ? "failed" : commas(m) " msg/s, " mb(b) " MB/s" }
function ratio(a, p) { return a == "" || p == "" || p + 0 == 0 ? "-" : sprintf("%.2fx", a / p) }
function met(ok) { return B != "sluiced" ? "n/a (" B ")" : (ok ? "yes" : "**no**") }
function lat(label, t,    p50, p99, lost) {
    p50 = get(label, "latency", t, "p50_ms"); p99 = get(label, "latency", t, "p99_ms")
    lost = get(label, "latency", t, "lost")
    if (p50 == "" || get(label, "latency", t, "received") + 0 == 0) return "failed"
    return "p50 " p50 " ms, p99 " p99 " ms" (lost + 0 > 0 ? ", " commas(lost) " lost" : "")
}
function sz(s) { return s == 1024 ? "1 KiB" : s " B" }
function row(a, b, c, d, e, f) { printf "| %s | %s | %s | %s | %s | %s |\n", a, b, c, d, e, f }
{ line[++nl] = $0 }
END {
    row("figure", B, "peer", "ratio", "target", "met")
    row("---", "---:", "---:", "---:", "---", "---")
    for (si = 0; si < 2; si++) for (pi = 0; pi < 2; pi++) {
        s = si ? 1024 : 100; p = pi ? 6 : 1; t = "p" s "x" p
        bm = get(B, "produce", t, "msg_s"); pm = get("mock", "produce", t, "msg_s")
        r = ratio(bm, pm)
        row("produce " sz(s) ", " p " partition" (p > 1 ? "s" : "") ", acks=1", rate(bm, get(B, "produce", t, "mb_s")),
            "mock: " rate(pm, get("mock", "produce", t, "mb_s")), r, ">= 1.2x", met(r != "-" && bm / pm >= 1.2))
    }
    tcp = probe("tcp", "", "mb_s")
    for (ci = 0; ci < 2; ci++) {
        t = ci ? "p100x1" : "p1024x6"
        c = get(B, "consume", t, "mb_s")
        r = ratio(c, tcp)
        row("consume " (ci ? "100 B, 1 partition" : "1 KiB, 6 partitions") ", from the start, no group",
            c == "" ? "failed" : mb(c) " MB/s", "loopback TCP: " mb(tcp) " MB/s", r, ">= 0.7x",
            met(r != "-" && c / tcp >= 0.7))
    }
    for (si = 0; si < 2; si++) {
        s = si ? 1024 : 100; t = "lat" s "x1"
        p99 = get(B, "latency", t, "p99_ms"); lost = get(B, "latency", t, "lost")
        rt = get(B, "latency", t, "rate"); mp99 = get("mock", "latency", "p" s "x1", "p99_ms")
        row("end-to-end latency " sz(s) ", 1 partition, " (rt == "" ? "" : commas(rt) " msg/s (half max)"),
            lat(B, "lat" s "x1"), mp99 == "" ? "-" : "mock, polled each ms: " lat("mock", "p" s "x1"),
            lat(B, "lat" s "x1") == "failed" || mp99 == "" ? "-" : ratio(p99, mp99), "p99 <= 3 ms", met(p99 != "" && p99 + 0 <= 3 && lost + 0 == 0))
    }
    for (si = 0; si < 2; si++) {
        s = si ? 1024 : 100; t = "f" s "x1"
        bm = get(B, "produce", t, "msg_s"); bb = get(B, "produce", t, "batch_bytes")
        bn = get(B, "produce", t, "batch_msgs")
        ws = probe("disk", bb, "writes_s")
        ceil = ws == "" ? "" : ws * bn * s / 1e6
        row("produce " sz(s) ", 1 partition, acks=all, flush.messages=1",
            rate(bm, get(B, "produce", t, "mb_s")) (bn == "" ? "" : " (" sprintf("%.0f", bn) " msgs/batch)"),
            ceil == "" ? "-" : "disk, write+fdatasync per " commas(bb) " B batch: " mb(ceil) " MB/s",
            ratio(get(B, "produce", t, "mb_s"), ceil), "report", "-")
    }
    for (si = 0; si < 2; si++) {
        s = si ? 1024 : 100
        bm = get(B, "produce", "p" s "x1", "msg_s"); rm = get("redis", "xadd", "redis" s, "msg_s")
        row("produce " sz(s) ", 1 partition, acks=1 vs redis XADD (-P 16, -c 50)",
            rate(bm, get(B, "produce", "p" s "x1", "mb_s")),
            rm == "" ? "-" : "redis: " rate(rm, get("redis", "xadd", "redis" s, "mb_s")), ratio(bm, rm), "report", "-")
    }
}
EOF
if [ "$broker" = sluiced ]; then
  echo
  echo "consumer groups: rebalance of a 10-member group on 60 partitions as an 11th member"
  echo "joins and leaves (ms, median [min-max] of the repetitions; heartbeat.interval.ms=100),"
  echo "synchronous commits after every message (ratio = $broker / mock)"
  echo
  awk -v B="$broker" 'BEGIN { printf "| figure | %s | peer | ratio |\n| --- | ---: | ---: | ---: |\n", B }
    $1 == "result" {
      delete v
      for (i = 2; i <= NF; i++) { j = index($i, "="); v[substr($i, 1, j - 1)] = substr($i, j + 1) }
      if (v["mode"] == "rebalance" && v["label"] == B)
        for (k = 0; k < 2; k++) {
          w = k ? "leave" : "join"
          printf "| rebalance %s, %s | %s ms [%s-%s] | - | - |\n", v["assignor"], k ? "one leaves" : "an 11th joins",
            v[w "_ms_p50"], v[w "_ms_min"], v[w "_ms_max"]
        }
      if (v["mode"] == "commit") { c[v["label"]] = v["commits_s"]; p[v["label"]] = v["p50_ms"] " / " v["p99_ms"] }
    }
    END {
      if (B in c || "mock" in c)
        printf "| synchronous commit after each message | %s commits/s (p50/p99 %s ms) | mock: %s commits/s (p50/p99 %s ms) | %s |\n",
          c[B], p[B], c["mock"], p["mock"], (c[B] != "" && c["mock"] + 0 > 0 ? sprintf("%.2fx", c[B] / c["mock"]) : "-")
    }' "$res"
fi
if [ "$txn_rc" = 0 ]; then
  grep -v '^result ' "$tmp/txn.out"
elif [ "$txn_rc" = 3 ]; then
  echo
  echo "transactions: no figures: $(tail -n 1 "$tmp/txn.err")"
fi
if [ "$client_ran" = yes ]; then
  echo
  echo "Sluice's client (client.h) against librdkafka 2.0: one partition, both with linger.ms=5,"
  echo "batch.size=1000000, max.in.flight=5, idempotence off; medians of 3 alternating runs; produce"
  echo "to the in-memory mock, consume from $broker from the start (ratio = sluice / librdkafka)"
  echo
  awk 'function commas(x,    s) {
      s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
    BEGIN { printf "| figure | sluice | librdkafka | ratio | target | met |\n|---|---:|---:|---:|---|---|\n" }
    $1 == "result" && / mode=client_(produce|consume)_median / {
      delete v
      for (i = 2; i <= NF; i++) { j = index($i, "="); v[substr($i, 1, j - 1)] = substr($i, j + 1) }
      k = v["mode"] " " v["size"] " " v["acks"]
      r[k, v["client"]] = v["msg_s"]
      if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    }
    END {
      for (pass = 0; pass < 2; pass++) for (i = 1; i <= n; i++) {
        split(order[i], f, " ")
        if ((f[1] == "client_consume_median") != pass) continue
        sl = r[order[i], "sluice"]; rd = r[order[i], "librdkafka"]
        what = (f[1] == "client_consume_median" ? "consume" : "produce") " " (f[2] == 1024 ? "1 KiB" : f[2] " B") \
          (f[1] == "client_consume_median" ? " (written with acks=" f[3] ")" : ", acks=" f[3])
        ok = sl != "" && rd + 0 > 0 && sl / rd >= 1.0
        printf "| %s | %s msg/s | %s msg/s | %s | >= 1.0x | %s |\n", what, commas(sl), commas(rd),
          (sl != "" && rd + 0 > 0 ? sprintf("%.2fx", sl / rd) : "-"), ok ? "yes" : "**no**"
      }
    }' "$res"
fi
echo
echo "CPU during each run (cores busy; the machine has $(nproc)): driver = bench_broker with"
echo "librdkafka's threads, broker = the broker process over the whole run"
echo
awk 'BEGIN { printf "| %-8s | %-8s | %-10s | %6s | %6s |\n|---|---|---|---:|---:|\n", "broker", "run", "topic", "driver", "broker" }
  $1 == "result" && /client_cores=/ {
    for (i = 2; i <= NF; i++) { j = index($i, "="); v[substr($i, 1, j - 1)] = substr($i, j + 1) }
    printf "| %-8s | %-8s | %-10s | %6s | %6s |\n", v["label"], v["mode"] (v["acks"] == "all" ? " all" : ""),
      v["topic"], v["client_cores"], v["broker_cores"] }' "$res"
if [ "$broker" != sluiced ]; then
  echo
  [ -x "$bindir/sluiced" ] && why="SL_BENCH_BROKER=$broker" || why="sluiced is not built"
  echo "$why: the broker column shows sluice-wiretap, an in-memory protocol dump tool, so that"
  echo "the harness runs end to end; no target is judged."
fi
if [ $failed -gt 0 ]; then
  echo
  echo "run.sh: $failed driver run(s) against sluiced failed (see the messages above)" >&2
  exit 1
fi
