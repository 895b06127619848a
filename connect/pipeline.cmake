# The record pipeline of a task (connect_int.h "pipeline.c"): converters,
# transforms and predicates (xform*.c, xform_int.h), error tolerance and
# the dead letter queue.
target_sources(sluice-connect PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pipeline.c
  ${CMAKE_CURRENT_LIST_DIR}/pipeline_dlq.c
  ${CMAKE_CURRENT_LIST_DIR}/xform.c
  ${CMAKE_CURRENT_LIST_DIR}/xform_field.c
  ${CMAKE_CURRENT_LIST_DIR}/xform_route.c
  ${CMAKE_CURRENT_LIST_DIR}/xform_filter.c)
