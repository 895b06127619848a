# The aggregate part: tables, grouping, count/reduce/aggregate, windows,
# suppression.
list(APPEND SL_STREAMS_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/ops_table.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_group.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_aggregate.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_window.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_suppress.c)
