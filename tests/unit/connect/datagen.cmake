# DatagenSource (connect/connectors/datagen*.c) loaded from its .so and driven
# without a worker.
sl_unit_test(connect_datagen_test SOURCES datagen_test.c LIBS sluice-connect)
target_compile_definitions(connect_datagen_test PRIVATE
  SL_TEST_PLUGIN_DIR="${SL_CONNECT_PLUGIN_DIR}")
add_dependencies(connect_datagen_test datagen)
