# plan: the catalog, the binder and the logical plan, over statements parsed
# by the front end.
sl_unit_test(sql_bind_test SOURCES bind_test.c LIBS sluice-sql)
