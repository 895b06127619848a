# The producer's integration test: client_produce_it (our producer as a
# command-line driver) run by client_producer.py against a real sluiced,
# read back with kcat and confluent_kafka; client_producer_txn.py runs its
# transactions against a read_committed confluent_kafka consumer.
add_executable(client_produce_it ${CMAKE_CURRENT_LIST_DIR}/client_produce_it.c)
target_link_libraries(client_produce_it PRIVATE sluice-client)
set_target_properties(client_produce_it PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
list(APPEND SL_CLIENT_IT producer:300 producer_txn:180)
