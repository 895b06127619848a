# The consumer (client.h's sl_consumer_*): public calls and the poll queue,
# the fetcher, records to messages, offsets at the coordinator, group
# membership.
list(APPEND SL_CLIENT_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/consumer.c
  ${CMAKE_CURRENT_LIST_DIR}/cons_records.c
  ${CMAKE_CURRENT_LIST_DIR}/cons_fetch.c
  ${CMAKE_CURRENT_LIST_DIR}/cons_offsets.c
  ${CMAKE_CURRENT_LIST_DIR}/cons_group.c
  ${CMAKE_CURRENT_LIST_DIR}/cons_assignor.c
  ${CMAKE_CURRENT_LIST_DIR}/cons_subscribe.c)
