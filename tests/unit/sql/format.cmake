# format: the codecs (format_int.h).
sl_unit_test(sql_format_test SOURCES format_test.c LIBS sluice-sql)
