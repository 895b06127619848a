# agg: the aggregate functions and sl_sql_agg_bind.
sl_unit_test(sql_agg_test SOURCES agg_test.c LIBS sluice-sql)
