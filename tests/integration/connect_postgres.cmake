# PostgresSink in the standalone worker against a real sluiced and a real
# PostgreSQL the test starts (tests/integration/lib/postgres.py): upserts by
# key with auto.create and deletes, insert keyed by Kafka coordinates, a
# kill -9 and restart, clear refusals. Needs the postgres_sink plugin and
# sluice-connect-standalone (both built by connect/).
list(APPEND SL_CONNECT_IT postgres:600)
