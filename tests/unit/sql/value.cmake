# value: types, datums (compare, hash, cast, format) and rows.
sl_unit_test(sql_type_test SOURCES type_test.c LIBS sluice-sql)
sl_unit_test(sql_datum_test SOURCES datum_test.c LIBS sluice-sql)
