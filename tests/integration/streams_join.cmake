# Joins in an application against a real sluiced: streams_join_drv (a
# stream-stream left join with a repartitioned side, a stream-global join)
# driven by streams_join.py.
add_executable(streams_join_drv ${CMAKE_CURRENT_LIST_DIR}/streams_join_drv.c)
target_link_libraries(streams_join_drv PRIVATE sluice-streams)
set_target_properties(streams_join_drv PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
list(APPEND SL_STREAMS_IT join:300)
