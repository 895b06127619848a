# The streams core (core_int.h): values and serdes, the builder and its
# node graph, topologies and describe(), the context, tasks, the test
# driver, and the stateless operators with the Processor API.
list(APPEND SL_STREAMS_SRCS
     ${CMAKE_CURRENT_LIST_DIR}/val.c
     ${CMAKE_CURRENT_LIST_DIR}/serde.c
     ${CMAKE_CURRENT_LIST_DIR}/builder.c
     ${CMAKE_CURRENT_LIST_DIR}/topology.c
     ${CMAKE_CURRENT_LIST_DIR}/describe.c
     ${CMAKE_CURRENT_LIST_DIR}/ctx.c
     ${CMAKE_CURRENT_LIST_DIR}/task.c
     ${CMAKE_CURRENT_LIST_DIR}/driver.c
     ${CMAKE_CURRENT_LIST_DIR}/ops_stateless.c)
