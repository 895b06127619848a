# The worker core's own tests: the standalone herder's lifecycle without a
# broker (IdleSource never sends, so its producer never connects; a
# FileStreamSink's consumer finds no broker and idles), statuses, pause,
# resume, restarts, replacing and deleting, validation answers, and record
# headers copied by batch_add.
sl_connect_plugin(connect_test_idle_source ${SL_CONNECT_TEST_DIR} plugins/idle_source.c)
sl_unit_test(connect_core_test SOURCES core_test.c LIBS sluice-connect)
target_compile_definitions(connect_core_test PRIVATE
  SL_TEST_PLUGIN_DIR="${SL_CONNECT_PLUGIN_DIR}" SL_TEST_PLUGIN_DIR2="${SL_CONNECT_TEST_DIR}")
add_dependencies(connect_core_test file_source file_sink connect_test_fail_source
                 connect_test_idle_source)
