# The worker core (connect_int.h "runtime*.c", "herder_local.c"): connectors
# and tasks running in this process, and the standalone herder. worker.c,
# offsets.c, host.c and the rest are in CMakeLists.txt's source list.
target_sources(sluice-connect PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/runtime.c
  ${CMAKE_CURRENT_LIST_DIR}/runtime_source.c
  ${CMAKE_CURRENT_LIST_DIR}/runtime_sink.c
  ${CMAKE_CURRENT_LIST_DIR}/herder_local.c)
