# lower: logical plans to streams topologies (lower*.c) and the local
# runtime (rt_local.c: in-memory topics, one test driver per query).
list(APPEND SL_SQL_SRCS
  ${CMAKE_CURRENT_SOURCE_DIR}/lower.c
  ${CMAKE_CURRENT_SOURCE_DIR}/lower_source.c
  ${CMAKE_CURRENT_SOURCE_DIR}/lower_stateless.c
  ${CMAKE_CURRENT_SOURCE_DIR}/lower_aggregate.c
  ${CMAKE_CURRENT_SOURCE_DIR}/lower_join.c
  ${CMAKE_CURRENT_SOURCE_DIR}/lower_sink.c
  ${CMAKE_CURRENT_SOURCE_DIR}/rt_local.c)
