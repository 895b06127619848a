# engine: statements, push and pull queries, the command topic, the cluster
# runtime (engine_int.h is the contract between these files).
list(APPEND SL_SQL_SRCS
  ${CMAKE_CURRENT_SOURCE_DIR}/engine.c
  ${CMAKE_CURRENT_SOURCE_DIR}/engine_local.c
  ${CMAKE_CURRENT_SOURCE_DIR}/exec_ddl.c
  ${CMAKE_CURRENT_SOURCE_DIR}/exec_show.c
  ${CMAKE_CURRENT_SOURCE_DIR}/exec_misc.c
  ${CMAKE_CURRENT_SOURCE_DIR}/query.c
  ${CMAKE_CURRENT_SOURCE_DIR}/cmdlog.c
  ${CMAKE_CURRENT_SOURCE_DIR}/rt_cluster.c)
