#!/bin/sh
# Integration: real Kafka clients (kcat/librdkafka, kafka-python) against
# sluice-wiretap over loopback. Every codec produced by librdkafka must come
# back byte for byte through Fetch; kafka-python must round-trip too. A
# missing client is a failure, never a skip. Every wait is bounded.
# Usage: wiretap_clients.sh BINDIR
set -eu
bin=$1
work=$(mktemp -d)
wt=""
cleanup() { [ -n "$wt" ] && kill "$wt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
command -v kcat >/dev/null || { echo "FAIL: kcat is not installed (make deps)"; exit 1; }
/usr/bin/python3 -c 'import kafka' || { echo "FAIL: python3-kafka is not installed (make deps)"; exit 1; }

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
b="127.0.0.1:$port"
"$bin/sluice-wiretap" --listen "$b" --partitions 3 >"$work/wiretap.out" 2>"$work/wiretap.err" &
wt=$!
i=0
until kcat -b "$b" -L -m 1 >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "FAIL: wiretap did not come up"; cat "$work/wiretap.err"; exit 1; }
  sleep 0.1
done

: >"$work/want"
for codec in none gzip snappy lz4 zstd; do
  for n in 1 2 3 4; do
    printf 'key-%s-%s:%s\n' $codec $n "$(printf "value-$codec-$n %.0s" $(seq 12))" >>"$work/$codec.in"
  done
  timeout 20 kcat -b "$b" -P -t it-$codec -K: -z $codec -p 1 <"$work/$codec.in"
  timeout 20 kcat -b "$b" -C -t it-$codec -p 1 -o beginning -e -q -f '%k:%s\n' >"$work/$codec.out"
  cmp "$work/$codec.in" "$work/$codec.out" || { echo "FAIL: $codec round trip differs"; exit 1; }
  # the batch really was compressed with that codec (librdkafka falls back
  # to none silently when the broker does not look able to take it)
  grep -q "\"Name\":\"it-$codec\".*\"compression\":\"$codec\"" "$work/wiretap.out" ||
    { echo "FAIL: librdkafka did not send a $codec batch"; exit 1; }
  echo "ok: kcat $codec produce/fetch round trip"
done

timeout 60 /usr/bin/python3 - "$b" <<'PY'
import sys
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
b = sys.argv[1]
p = KafkaProducer(bootstrap_servers=b, compression_type="gzip", linger_ms=20)
sent = [(f"k{i}".encode(), (f"python-{i} " * 10).encode()) for i in range(20)]
for k, v in sent:
    p.send("it-python", key=k, value=v, partition=2)
p.flush(10)
p.close()
c = KafkaConsumer(bootstrap_servers=b, consumer_timeout_ms=3000, group_id=None)
tp = TopicPartition("it-python", 2)
c.assign([tp])
c.seek_to_beginning(tp)
got = [(m.key, m.value) for m in c]
c.close()
assert got == sent, (len(got), len(sent))
print("ok: kafka-python produce/fetch round trip, 20 records")
PY

kill "$wt"; wait "$wt" 2>/dev/null || true; wt=""
if grep -q "decode error" "$work/wiretap.out"; then echo "FAIL: a request did not decode"; grep "decode error" "$work/wiretap.out"; exit 1; fi
echo "PASS"
