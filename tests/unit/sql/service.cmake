# The REST service over a local engine, through raw sockets.
sl_unit_test(sql_rest_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/rest_test.c LIBS sluice-sql)
