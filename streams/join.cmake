# The join part of libsluice-streams: stream-stream windowed joins
# (ops_join_stream.c), stream-table and table-table joins
# (ops_join_table.c), global tables and stream-global joins (ops_global.c).
list(APPEND SL_STREAMS_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/ops_join_stream.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_join_table.c
  ${CMAKE_CURRENT_LIST_DIR}/ops_global.c)
