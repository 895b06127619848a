# front: the lexer, the grammar and the syntax tree (sl_sql_parse).
sl_unit_test(sql_parse_test SOURCES parse_test.c LIBS sluice-sql)
