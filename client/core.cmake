# The client's core (client_int.h): configuration, the I/O thread, broker
# connections and requests, metadata, coordinators, events, errors.
list(APPEND SL_CLIENT_SRCS
     ${CMAKE_CURRENT_LIST_DIR}/conf.c
     ${CMAKE_CURRENT_LIST_DIR}/core.c
     ${CMAKE_CURRENT_LIST_DIR}/events.c
     ${CMAKE_CURRENT_LIST_DIR}/broker.c
     ${CMAKE_CURRENT_LIST_DIR}/metadata.c
     ${CMAKE_CURRENT_LIST_DIR}/coord.c
     ${CMAKE_CURRENT_LIST_DIR}/errors.c)
