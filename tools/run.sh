#!/bin/sh
# make run: starts a single-node Sluice broker (sluiced) with its data in
# ./data, listening on 127.0.0.1:9092 (config/server.properties), shows the
# sluice command line at work (a topic created, records produced, consumed
# by a group, the group's lag) and the same records read by kcat, then SQL
# over the same topic through `sluice sql` and sluiced's SQL service on
# 127.0.0.1:8088 (a stream, a CTAS aggregate, a pull and a push query),
# prints how to go on, and keeps the broker in the foreground until Ctrl-C
# (a clean shutdown; the data stays).
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

sluice="$bin/sluice -b $b"
topic=demo-$(date +%s)
group=$topic
echo "--- sluice topics create $topic --partitions 3"
$sluice topics create "$topic" --partitions 3
echo "--- sluice produce $topic --key-separator : --compression lz4   (six key:value lines)"
printf 'alice:hello\ncarol:from\ndave:sluice\nalice:again\ncarol:and\ndave:again\n' |
  $sluice produce "$topic" --key-separator : --compression lz4
echo "--- sluice consume $topic --group $group --from-beginning --max 4"
$sluice consume "$topic" --group "$group" --from-beginning --max 4 \
  --format '{partition}:{offset} {key}={value}\n'
echo "--- sluice groups describe $group   (two records left to read)"
$sluice groups describe "$group"
echo "--- kcat -C: the same topic read by librdkafka"
kcat -b "$b" -C -t "$topic" -o beginning -e -q -f 'partition %p offset %o key %k value %s\n'

# SQL over the same topic: the SQL service listens on the last sql.listeners.
sqlurl=$(printf '%s\n' "$@" | sed -n 's/^sql\.listeners=//p' | tail -n 1)
[ -n "$sqlurl" ] || sqlurl=$(sed -n 's/^sql\.listeners=//p' config/server.properties | tail -n 1)
[ -n "$sqlurl" ] || sqlurl=http://127.0.0.1:8088
sql="$bin/sluice sql --server $sqlurl"
i=0
until $sql --execute 'SHOW STREAMS;' >/dev/null 2>&1; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "run: the SQL service did not answer on $sqlurl" >&2; exit 1; }
  sleep 0.1
done
n=$(date +%s)
echo "--- sluice sql: a stream over $topic and a table counting words per key"
$sql --execute "SET 'auto.offset.reset'='earliest';
CREATE STREAM WORDS_$n (WHO STRING KEY, WORD STRING)
  WITH (kafka_topic='$topic', key_format='KAFKA', value_format='DELIMITED');
CREATE TABLE PER_WHO_$n WITH (value_format='JSON') AS
  SELECT WHO, COUNT(*) AS WORDS, COLLECT_LIST(WORD) AS SAID
  FROM WORDS_$n GROUP BY WHO;"
echo "--- sluice sql: SELECT * FROM PER_WHO_$n;   (a pull query: the table now)"
i=0
until out=$($sql --execute "SELECT * FROM PER_WHO_$n;" 2>/dev/null) && [ "$(printf '%s\n' "$out" | grep -c '| 2 ')" -eq 3 ]; do
  i=$((i + 1))
  [ $i -lt 300 ] || { echo "run: the table PER_WHO_$n did not fill" >&2; break; }
  sleep 0.1
done
printf '%s\n' "$out"
echo "--- sluice sql: SELECT WHO, WORD FROM WORDS_$n EMIT CHANGES LIMIT 4;   (a push query)"
$sql --execute "SELECT WHO, WORD FROM WORDS_$n EMIT CHANGES LIMIT 4;"
cat <<MSG

sluiced is running on $b with its data in ./data. Try:
  $bin/sluice -b $b topics list
  printf 'k:v\\n' | $bin/sluice -b $b produce $topic --key-separator :
  $bin/sluice -b $b consume $topic --from-beginning --timeout 2000
  $bin/sluice -b $b groups describe $group
  $bin/sluice --help                                 # every command
or with kcat (confluent-kafka, kafka-python and kafkajs work too):
  kcat -b $b -L                                      # brokers and topics
  printf 'k:v\\n' | kcat -b $b -P -t $topic -K:   # produce (key:value lines)
  kcat -b $b -C -t $topic -o beginning -e        # consume from the start
or SQL (ksqlDB's dialect and REST API on $sqlurl):
  $bin/sluice sql --server $sqlurl                    # a prompt; statements end with ';'
  $bin/sluice sql --server $sqlurl -e 'SHOW TABLES;'
Ctrl-C stops it cleanly; the data stays in ./data for the next run.
MSG
[ "${SLUICE_DEMO_ONLY:-0}" = 1 ] && exit 0
wait $pid
