# The application runtime's pure parts: the streams task assignor and its
# user-data formats (no broker, no threads).
sl_unit_test(streams_assignor_test
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/assignor_streams_test.c ${CMAKE_SOURCE_DIR}/streams/assignor_streams.c
             LIBS sluice-client sluice-base)
target_include_directories(streams_assignor_test PRIVATE ${CMAKE_SOURCE_DIR}/streams)
# The application instance without a broker: config, state directory,
# process id, states and queries before start.
sl_unit_test(streams_app_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/app_test.c LIBS sluice-streams)
target_include_directories(streams_app_test PRIVATE ${CMAKE_SOURCE_DIR}/streams)
# The order a stream thread processes a polled batch in (pure).
sl_unit_test(streams_partition_group_test
             SOURCES ${CMAKE_CURRENT_LIST_DIR}/partition_group_test.c ${CMAKE_SOURCE_DIR}/streams/partition_group.c
             LIBS sluice-client sluice-base)
target_include_directories(streams_partition_group_test PRIVATE ${CMAKE_SOURCE_DIR}/streams)
