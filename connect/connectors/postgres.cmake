# PostgresSink: postgres_sink.so in the plugin folder, linking libpq (found
# through pkg-config: Debian's libpq-dev). The SQL, shape and row code needs
# no server; tests/unit/connect/postgres.cmake tests it on its own.
pkg_check_modules(SL_PG_LIBPQ REQUIRED IMPORTED_TARGET libpq)
sl_connect_plugin(postgres_sink ${SL_CONNECT_PLUGIN_DIR}
                  connectors/postgres_sink.c connectors/postgres_write.c connectors/postgres_sql.c
                  connectors/postgres_shape.c connectors/postgres_rows.c)
target_link_libraries(postgres_sink PRIVATE PkgConfig::SL_PG_LIBPQ)
