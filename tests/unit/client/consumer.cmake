# The consumer (client/consumer*.c, cons_*.c): reading fetched records
# (pure), and the consumer against the scripted fake broker.
sl_unit_test(client_cons_records_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cons_records_test.c LIBS sluice-client)
sl_unit_test(client_cons_fetch_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cons_fetch_test.c
             LIBS sl-client-fake-broker sluice-client)
