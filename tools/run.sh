#!/bin/sh
# make run: starts a single-node Sluice (sluiced with the roles broker, sql
# and connect) with its data in ./data, the broker on 127.0.0.1:9092
# (config/server.properties), and shows it at work:
#   - the sluice command line: a topic created, records produced, consumed by
#     a group, the group's lag; the same records read by kcat;
#   - Connect (REST on 127.0.0.1:8083): a DatagenSource connector writing
#     live page views (Confluent's pageviews quickstart) to the topic
#     pageviews, created through the REST API (`sluice connect`), its status,
#     its first records;
#   - SQL over those page views through `sluice sql` and the SQL service on
#     127.0.0.1:8088: a stream, a CTAS aggregate, a pull and a push query;
# prints how to go on, and keeps sluiced in the foreground until Ctrl-C (a
# clean shutdown; the data stays, and the connector goes on where it
# stopped at the next start).
# SLUICE_DEMO_ONLY=1 stops after the demo. Extra arguments are passed to
# sluiced (e.g. --override listeners=PLAINTEXT://127.0.0.1:19092
# --override sql.listeners=http://127.0.0.1:18088
# --override connect.listeners=http://127.0.0.1:18083).
set -eu
cd "$(dirname "$0")/.."
bin=build/bin

"$bin/sluiced" config/server.properties "$@" &
pid=$!
stop() { kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true; }
trap stop EXIT INT TERM

# setting KEY DEFAULT: the last KEY= among the arguments, else in
# config/server.properties, else DEFAULT.
given=$(printf '%s\n' "$@")
setting() {
  v=$(printf '%s\n' "$given" | sed -n "s|^$1=||p" | tail -n 1)
  [ -n "$v" ] || v=$(sed -n "s|^$1=||p" config/server.properties | tail -n 1)
  echo "${v:-$2}"
}
b=$(setting listeners PLAINTEXT://127.0.0.1:9092 | sed 's|^PLAINTEXT://||')
sqlurl=$(setting sql.listeners http://127.0.0.1:8088)
connurl=$(setting connect.listeners http://127.0.0.1:8083)
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

# Connect: `sluice connect` is a client of its REST API, which answers once
# the role's worker has joined its group.
export SLUICE_CONNECT_SERVER="$connurl"
sc="$bin/sluice connect"
i=0
until $sc list >/dev/null 2>&1; do
  i=$((i + 1))
  kill -0 $pid 2>/dev/null && [ $i -lt 600 ] || { echo "run: Connect did not answer on $connurl" >&2; exit 1; }
  sleep 0.1
done
echo "--- sluice connect plugins"
$sc plugins
# One connector of a fixed name: a later run finds it going on where it
# stopped (its source offset is its record count).
pv=pageviews
if $sc status demo-pageviews >/dev/null 2>&1; then
  echo "--- (the connector demo-pageviews of an earlier run goes on)"
else
  echo "--- sluice connect create demo-pageviews --config '{...}'   (a DatagenSource: page views, ~10 a second)"
  config='{"connector.class": "DatagenSource", "quickstart": "pageviews", "kafka.topic": "'$pv'",
    "max.interval": "200", "iterations": "1000000", "tasks.max": "1", "key.converter": "string",
    "value.converter": "json", "value.converter.schemas.enable": "false"}'
  # A worker still joining its group answers 409: asked again a second later.
  i=0
  until out=$($sc create demo-pageviews --config "$config" 2>&1); do
    i=$((i + 1))
    [ $i -lt 30 ] || { printf '%s\n' "$out" >&2; echo "run: Connect did not create demo-pageviews" >&2; exit 1; }
    sleep 1
  done
  printf '%s\n' "$out"
fi
echo "--- sluice connect status demo-pageviews"
i=0
until $sc status demo-pageviews 2>/dev/null | grep -q '^0 *RUNNING'; do
  i=$((i + 1))
  [ $i -lt 300 ] || { $sc status demo-pageviews; echo "run: the connector demo-pageviews did not start" >&2; exit 1; }
  sleep 0.1
done
$sc status demo-pageviews
echo "--- sluice consume $pv --from-beginning --max 3   (what it writes)"
$sluice consume "$pv" --from-beginning --max 3 --timeout 30000 --format '{key} {value}\n'

# SQL over the page views: the SQL service listens on the last sql.listeners.
sql="$bin/sluice sql --server $sqlurl"
i=0
until $sql --execute 'SHOW STREAMS;' >/dev/null 2>&1; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "run: the SQL service did not answer on $sqlurl" >&2; exit 1; }
  sleep 0.1
done
n=$(date +%s)
echo "--- sluice sql: a stream over $pv and a table of views per user"
$sql --execute "SET 'auto.offset.reset'='earliest';
CREATE STREAM PAGEVIEWS_$n (VIEWTIME BIGINT, USERID STRING, PAGEID STRING)
  WITH (kafka_topic='$pv', value_format='JSON');
CREATE TABLE VIEWS_PER_USER_$n WITH (value_format='JSON') AS
  SELECT USERID, COUNT(*) AS VIEWS, COUNT_DISTINCT(PAGEID) AS PAGES, LATEST_BY_OFFSET(PAGEID) AS LAST_PAGE
  FROM PAGEVIEWS_$n GROUP BY USERID;"
echo "--- sluice sql: SELECT * FROM VIEWS_PER_USER_$n;   (a pull query: the table now)"
i=0
until out=$($sql --execute "SELECT * FROM VIEWS_PER_USER_$n;" 2>/dev/null) &&
  [ "$(printf '%s\n' "$out" | grep -c '^User_')" -ge 9 ]; do
  i=$((i + 1))
  [ $i -lt 300 ] || { echo "run: the table VIEWS_PER_USER_$n did not fill" >&2; break; }
  sleep 0.1
done
printf '%s\n' "$out"
echo "--- sluice sql: SELECT USERID, PAGEID, VIEWTIME FROM PAGEVIEWS_$n EMIT CHANGES LIMIT 5;   (a push query)"
$sql --execute "SELECT USERID, PAGEID, VIEWTIME FROM PAGEVIEWS_$n EMIT CHANGES LIMIT 5;"
cat <<MSG

sluiced is running on $b with its data in ./data. Try:
  $bin/sluice -b $b topics list
  printf 'k:v\\n' | $bin/sluice -b $b produce $topic --key-separator :
  $bin/sluice -b $b consume $pv --timeout 3000        # the page views arriving
  $bin/sluice -b $b groups describe $group
  $bin/sluice --help                                 # every command
or with kcat (confluent-kafka, kafka-python and kafkajs work too):
  kcat -b $b -L                                      # brokers and topics
  printf 'k:v\\n' | kcat -b $b -P -t $topic -K:   # produce (key:value lines)
  kcat -b $b -C -t $topic -o beginning -e        # consume from the start
or Connect (Kafka Connect's REST API on $connurl; curl works too):
  $bin/sluice connect list --server $connurl
  $bin/sluice connect pause demo-pageviews --server $connurl    # resume, restart, delete
  curl -s $connurl/connectors/demo-pageviews/status
or SQL (ksqlDB's dialect and REST API on $sqlurl):
  $bin/sluice sql --server $sqlurl                    # a prompt; statements end with ';'
  $bin/sluice sql --server $sqlurl -e 'SELECT * FROM VIEWS_PER_USER_$n;'
Ctrl-C stops it cleanly; the data stays in ./data for the next run.
MSG
[ "${SLUICE_DEMO_ONLY:-0}" = 1 ] && exit 0
wait $pid
