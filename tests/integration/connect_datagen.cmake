# DatagenSource in the standalone worker against a real sluiced:
# connect_datagen.py (orders over two tasks, a same-seed twin, nexmark's
# topics, a kill -9 mid-stream and a restart, users into PostgresSink with a
# PostgreSQL of the test's own).
list(APPEND SL_CONNECT_IT datagen:400)
