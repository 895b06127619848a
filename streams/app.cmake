# The application runtime (streams.h's sl_app_*): config and lifecycle,
# stream threads and the order they process records in, the task manager (restore, standbys, checkpoints), the
# streams task assignor, exactly-once, internal topics, interactive queries.
list(APPEND SL_STREAMS_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/app.c
  ${CMAKE_CURRENT_LIST_DIR}/thread.c
  ${CMAKE_CURRENT_LIST_DIR}/partition_group.c
  ${CMAKE_CURRENT_LIST_DIR}/task_manager.c
  ${CMAKE_CURRENT_LIST_DIR}/assignor_streams.c
  ${CMAKE_CURRENT_LIST_DIR}/eos.c
  ${CMAKE_CURRENT_LIST_DIR}/topics.c
  ${CMAKE_CURRENT_LIST_DIR}/iq.c)
