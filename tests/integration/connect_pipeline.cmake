# A connector's record pipeline in the standalone worker against a real
# sluiced: connect_pipeline.py (a sink with errors.tolerance=all and a dead
# letter queue read back with confluent_kafka, the same with none, and a
# datagen source through RegexRouter + InsertField + Filter compared with a
# twin without transforms).
list(APPEND SL_CONNECT_IT pipeline:300)
