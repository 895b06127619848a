# The distributed herder's parts without a broker: config and status
# records into state, the group's assignment bytes, the placement of
# connectors and tasks, the offset topic's keys.
sl_unit_test(connect_dist_state_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/dist_state_test.c
             LIBS sluice-connect)
target_include_directories(connect_dist_state_test PRIVATE ${PROJECT_SOURCE_DIR}/connect)
