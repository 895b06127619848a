# PostgresSink's server-free parts (SQL text, type mapping, shapes, rows as
# parameters), compiled in from connect/connectors/ (the plugin itself is a
# MODULE; these files need neither libpq nor the worker).
set(SL_PG_DIR ${PROJECT_SOURCE_DIR}/connect/connectors)
sl_unit_test(connect_postgres_test SOURCES postgres_test.c ${SL_PG_DIR}/postgres_sql.c
             ${SL_PG_DIR}/postgres_shape.c ${SL_PG_DIR}/postgres_rows.c)
target_include_directories(connect_postgres_test PRIVATE ${SL_PG_DIR} ${PROJECT_SOURCE_DIR}/connect)
