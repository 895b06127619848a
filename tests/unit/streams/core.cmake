# The streams core's tests: values, serdes, the builder, describe(), the
# stateless operators, the Processor API and the test driver, all through
# sl_topology_from and the test driver (core_util.c).
add_library(sl-streams-core-util STATIC ${CMAKE_CURRENT_LIST_DIR}/core_util.c)
target_include_directories(sl-streams-core-util PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(sl-streams-core-util PUBLIC sluice-streams PkgConfig::CMOCKA)
foreach(t val serde builder describe stateless processor driver task)
  sl_unit_test(streams_${t}_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}_test.c LIBS sl-streams-core-util)
endforeach()
