# The consumer's integration tests: client_consumer_drv (a command-driven
# consumer) used by client_consumer*.py against a real sluiced with
# confluent_kafka and kcat on the other side, and against librdkafka's mock
# cluster (bench's peer_mock).
add_executable(client_consumer_drv ${CMAKE_CURRENT_LIST_DIR}/client_consumer_drv.c)
target_link_libraries(client_consumer_drv PRIVATE sluice-client)
set_target_properties(client_consumer_drv PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
list(APPEND SL_CLIENT_IT consumer:300 consumer_mock:120)
