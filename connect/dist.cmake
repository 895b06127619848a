# The distributed herder (herder_dist_int.h): config, offset and status
# topics, the workers' group of protocol type "connect"; and
# sluice-connect-distributed WORKER.properties (Kafka's connect-distributed).
target_sources(sluice-connect PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/herder_dist.c
  ${CMAKE_CURRENT_LIST_DIR}/herder_dist_group.c
  ${CMAKE_CURRENT_LIST_DIR}/herder_dist_offsets.c
  ${CMAKE_CURRENT_LIST_DIR}/herder_dist_state.c
  ${CMAKE_CURRENT_LIST_DIR}/herder_dist_topics.c)

add_executable(sluice-connect-distributed ${CMAKE_CURRENT_LIST_DIR}/distributed.c)
target_link_libraries(sluice-connect-distributed PRIVATE sluice-connect)
