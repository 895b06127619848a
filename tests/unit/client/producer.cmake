# Unit tests of the producer. The partitioner and the accumulator are pure:
# their tests build those files alone (with base and proto), so they do not
# wait on the rest of the client library.
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
set(SL_PROD_PURE ${PROJECT_SOURCE_DIR}/client/partitioner.c ${PROJECT_SOURCE_DIR}/client/prod_accum.c)
sl_unit_test(client_prod_partitioner_test SOURCES prod_partitioner_test.c ${SL_PROD_PURE}
             LIBS sluice-net sluice-proto sluice-base PkgConfig::RDKAFKA)
sl_unit_test(client_prod_accum_test SOURCES prod_accum_test.c ${SL_PROD_PURE} LIBS sluice-net sluice-proto sluice-base)
find_package(Threads REQUIRED)
foreach(t client_prod_partitioner_test client_prod_accum_test)
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/client)
  target_link_libraries(${t} PRIVATE Threads::Threads)
endforeach()
# The whole producer against the core's scripted fake broker.
if(TARGET sl-client-fake-broker)
  sl_unit_test(client_producer_test SOURCES producer_test.c LIBS sl-client-fake-broker sluice-client)
endif()
# The producer against librdkafka's mock cluster (another broker implementation).
if(TARGET sluice-client)
  sl_unit_test(client_prod_mock_test SOURCES prod_mock_test.c rd_mock.c LIBS sluice-client PkgConfig::RDKAFKA)
endif()
