#!/bin/sh
# The PostgreSQL sink's part of the Connect benchmark (bench/connect/run.sh
# calls it with BINDIR): PostgresSink rows/s into a PostgreSQL of its own,
# from records already in a topic. bench/connect/postgres_sink.py does the
# work and prints the figures; it honours SL_BENCH_PG_RECORDS (records a
# run, default 200000) and TMPDIR, cleans up however it exits, and exits
# non-zero on failure. Debian's /usr/bin/python3 has confluent_kafka.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BINDIR" >&2; exit 2; }
exec /usr/bin/python3 "$(dirname "$0")/postgres_sink.py" "$1"
