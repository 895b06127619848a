# Unit tests of the admin part (admin_test: every call against the scripted
# fake broker) and of the sluice tool's pure pieces (cli_test: options,
# numbers, date-times, tables).
if(TARGET sl-client-fake-broker)
  sl_unit_test(client_admin_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/admin_test.c
               LIBS sl-client-fake-broker sluice-client)
endif()
if(TARGET sluice-cli)
  sl_unit_test(client_cli_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/cli_test.c LIBS sluice-cli)
endif()
