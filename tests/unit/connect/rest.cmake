# The REST service over a standalone worker without a broker, driven over
# raw loopback sockets (rest_test.c parses the answers with jansson).
pkg_check_modules(SL_CONNECT_REST_TEST_JANSSON REQUIRED IMPORTED_TARGET jansson)
sl_unit_test(connect_rest_test SOURCES rest_test.c LIBS sluice-connect PkgConfig::SL_CONNECT_REST_TEST_JANSSON)
target_compile_definitions(connect_rest_test PRIVATE
  SL_TEST_PLUGIN_DIR="${SL_CONNECT_PLUGIN_DIR}" SL_TEST_PLUGIN_DIR2="${SL_CONNECT_TEST_DIR}")
add_dependencies(connect_rest_test file_source file_sink connect_test_fail_source)
