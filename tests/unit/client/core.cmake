# The client's core (client_int.h): configuration, the I/O thread and its
# calls, requests against a scripted fake broker (fake_broker.h, also for
# the other parts' tests), metadata and coordinators.
find_package(Threads REQUIRED)
add_library(sl-client-fake-broker STATIC ${CMAKE_CURRENT_LIST_DIR}/fake_broker.c
            ${CMAKE_CURRENT_LIST_DIR}/client_util.c)
target_include_directories(sl-client-fake-broker PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(sl-client-fake-broker PUBLIC sluice-client sluice-net sluice-proto sluice-base
                      PkgConfig::CMOCKA Threads::Threads)
sl_unit_test(client_conf_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/conf_test.c LIBS sluice-client)
foreach(t core broker metadata coord)
  sl_unit_test(client_${t}_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}_test.c
               LIBS sl-client-fake-broker sluice-client)
endforeach()
# The core against librdkafka's mock cluster: another broker implementation.
pkg_check_modules(SL_CORE_RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
sl_unit_test(client_mock_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/mock_test.c ${CMAKE_CURRENT_LIST_DIR}/rd_mock.c
             LIBS sl-client-fake-broker sluice-client PkgConfig::SL_CORE_RDKAFKA)
