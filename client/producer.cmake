# The producer (client.h's sl_producer_*): partitioner, accumulator, sender
# on the I/O thread, public calls.
list(APPEND SL_CLIENT_SRCS
  ${CMAKE_CURRENT_LIST_DIR}/partitioner.c
  ${CMAKE_CURRENT_LIST_DIR}/prod_accum.c
  ${CMAKE_CURRENT_LIST_DIR}/prod_sender.c
  ${CMAKE_CURRENT_LIST_DIR}/producer.c
  ${CMAKE_CURRENT_LIST_DIR}/producer_txn.c)
