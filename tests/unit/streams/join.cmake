# Unit tests of the join part (ops_join_stream.c, ops_join_table.c,
# ops_global.c), all through the test driver, sharing join_util.c.
if(TARGET sluice-streams)
  foreach(t stream table global)
    sl_unit_test(streams_join_${t}_test
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/join_${t}_test.c ${CMAKE_CURRENT_LIST_DIR}/join_util.c
                 LIBS sluice-streams)
  endforeach()
endif()
