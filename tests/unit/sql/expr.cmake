# expr: typing of expressions, evaluation, the function registry; the
# scalar function tests are listed after them.
sl_unit_test(sql_expr_test SOURCES expr_test.c LIBS sluice-sql)
sl_unit_test(sql_eval_test SOURCES eval_test.c LIBS sluice-sql)
sl_unit_test(sql_func_math_test SOURCES func_math_test.c LIBS sluice-sql)
sl_unit_test(sql_func_string_test SOURCES func_string_test.c LIBS sluice-sql)
sl_unit_test(sql_func_time_test SOURCES func_time_test.c LIBS sluice-sql)
sl_unit_test(sql_func_json_test SOURCES func_json_test.c LIBS sluice-sql)
sl_unit_test(sql_func_collection_test SOURCES func_collection_test.c LIBS sluice-sql)
sl_unit_test(sql_func_misc_test SOURCES func_misc_test.c LIBS sluice-sql)
