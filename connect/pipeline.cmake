# The record pipeline of a task (connect_int.h "pipeline.c"): converters,
# transforms and predicates, error tolerance and the dead letter queue.
target_sources(sluice-connect PRIVATE ${CMAKE_CURRENT_LIST_DIR}/pipeline.c)
