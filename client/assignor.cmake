# The consumer protocol and the partition assignors (assignor.h): pure
# functions, no I/O.
list(APPEND SL_CLIENT_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/consumer_protocol.c
  ${CMAKE_CURRENT_LIST_DIR}/assignor.c
  ${CMAKE_CURRENT_LIST_DIR}/assignor_range.c
  ${CMAKE_CURRENT_LIST_DIR}/assignor_roundrobin.c
  ${CMAKE_CURRENT_LIST_DIR}/assignor_sticky.c)
