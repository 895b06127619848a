# The consumer (client/consumer*.c, cons_*.c): reading fetched records
# (pure), and the consumer against the scripted fake broker.
sl_unit_test(client_cons_records_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cons_records_test.c LIBS sluice-client)
foreach(t fetch group)
  sl_unit_test(client_cons_${t}_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cons_${t}_test.c
               ${CMAKE_CURRENT_LIST_DIR}/cons_fake.c LIBS sl-client-fake-broker sluice-client)
endforeach()
