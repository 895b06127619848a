# expr: typed expressions, evaluation and the function registry; then the
# scalar and table functions the registry lists.
list(APPEND SL_SQL_SRCS
  ${CMAKE_CURRENT_SOURCE_DIR}/expr.c
  ${CMAKE_CURRENT_SOURCE_DIR}/eval.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_registry.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_math.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_string.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_time.c
  ${CMAKE_CURRENT_SOURCE_DIR}/timefmt.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_json.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_collection.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_misc.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_lambda.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_url.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_table.c
)
