# DatagenSource in the standalone worker against a real sluiced:
# connect_datagen.py (orders over two tasks, a same-seed twin, nexmark's
# topics, a kill -9 mid-stream and a restart).
list(APPEND SL_CONNECT_IT datagen:400)
