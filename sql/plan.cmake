# plan: the catalog, the binder (statements against the catalog -> typed
# logical plans) and the plan's optimizer and EXPLAIN text.
list(APPEND SL_SQL_SRCS
  ${CMAKE_CURRENT_SOURCE_DIR}/catalog.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bind_expr.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bind_util.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bind_create.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bind_query.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bind_join.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bind_pull.c
  ${CMAKE_CURRENT_SOURCE_DIR}/bind_insert.c
  ${CMAKE_CURRENT_SOURCE_DIR}/plan.c
  ${CMAKE_CURRENT_SOURCE_DIR}/plan_format.c
)
