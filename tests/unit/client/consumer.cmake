# The consumer (client/consumer*.c, cons_*.c): reading fetched records
# (pure), and the consumer against the scripted fake broker.
sl_unit_test(client_cons_records_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cons_records_test.c LIBS sluice-client)
foreach(t fetch group)
  sl_unit_test(client_cons_${t}_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cons_${t}_test.c
               ${CMAKE_CURRENT_LIST_DIR}/cons_fake.c LIBS sl-client-fake-broker sluice-client)
endforeach()
# close() bounded with every broker gone, on librdkafka's mock cluster
# (SL_CORE_RDKAFKA from core.cmake).
sl_unit_test(client_cons_close_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cons_close_test.c
             ${CMAKE_CURRENT_LIST_DIR}/rd_mock.c LIBS sl-client-fake-broker sluice-client PkgConfig::SL_CORE_RDKAFKA)
