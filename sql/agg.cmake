# agg: aggregate functions (func_agg.c lists them for the registry;
# func_agg_int.h is what their files share) and sl_sql_agg_bind.
list(APPEND SL_SQL_SRCS
  ${CMAKE_CURRENT_SOURCE_DIR}/func_agg.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_agg_basic.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_agg_collect.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_agg_offset.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_agg_distinct.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_agg_stats.c
  ${CMAKE_CURRENT_SOURCE_DIR}/func_agg_bind.c)
