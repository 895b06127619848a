#!/bin/sh
# Recaptures the golden request frames in tests/unit/proto/data/ from real
# clients: kcat (librdkafka) and kafka-python talking to sluice-wiretap.
# Usage: tests/tools/capture.sh BUILD_BIN_DIR   (e.g. build/bin)
# The golden test (tests/unit/proto/golden_test.c) knows what each file must
# hold; timestamps inside the batches differ between captures, nothing else.
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../unit/proto/data"
work=$(mktemp -d)
trap 'kill $wt_pid 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/sluice-wiretap" --listen "127.0.0.1:$port" --record "$work/rec" --quiet &
wt_pid=$!
sleep 0.5
b="127.0.0.1:$port"

# newest file in rec/ matching a pattern, after running a command
last() { ls "$work/rec" | grep -- "$1" | tail -n 1; }
take() { cp "$work/rec/$(last "$1")" "$data/$2"; echo "captured $2"; }

kcat -b "$b" -L >/dev/null
take ApiVersions-v3 kcat_ApiVersions_v3.bin
take Metadata-v4 kcat_Metadata_v4.bin
for codec in none gzip snappy lz4 zstd; do
  # librdkafka sends a batch uncompressed when compression would not shrink
  # it: values repeat a word 16 times so that every codec is really used.
  hello=$(printf "hello-$codec %.0s" $(seq 16)); world=$(printf "world-$codec %.0s" $(seq 16))
  printf 'k1:%s\nk2:%s\n' "$hello" "$world" |
    kcat -b "$b" -P -t golden -K: -z $codec -H h1=v1 -X linger.ms=50
  take Produce-v7 "kcat_Produce_v7_$codec.bin"
done
kcat -b "$b" -C -t golden -o beginning -e -q >/dev/null
take ListOffsets-v2 kcat_ListOffsets_v2.bin
take Fetch-v11 kcat_Fetch_v11.bin

/usr/bin/python3 - "$b" <<'PY'
import sys
from kafka import KafkaConsumer, KafkaProducer
# kafka-python skips compression when it does not shrink the batch: use values that compress.
p = KafkaProducer(bootstrap_servers=sys.argv[1], compression_type="gzip", linger_ms=50)
p.send("golden-py", key=b"k1", value=b"hello-python " * 8, headers=[("h1", b"v1")])
p.send("golden-py", key=None, value=b"no-key " * 8)
p.flush(10)
p.close()
c = KafkaConsumer("golden-py", bootstrap_servers=sys.argv[1], auto_offset_reset="earliest",
                  consumer_timeout_ms=1500, group_id=None)
n = sum(1 for _ in c)
c.close()
assert n == 2, n
PY
take Produce- kafkapython_Produce.bin
take Fetch- kafkapython_Fetch.bin
take Metadata- kafkapython_Metadata.bin
take ApiVersions- kafkapython_ApiVersions.bin
ls -l "$data"
