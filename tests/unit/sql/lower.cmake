# lower: plans lowered to topologies and run in a test driver; the local
# runtime.
sl_unit_test(sql_lower_test SOURCES lower_test.c LIBS sluice-sql)
