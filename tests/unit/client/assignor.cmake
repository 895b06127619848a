# Unit tests of the consumer protocol and the assignors (client/assignor.h).
# Those files are pure: the tests build them alone (with base and proto), so
# they do not wait on the rest of the client library.
set(SL_ASG_PURE
  ${PROJECT_SOURCE_DIR}/client/consumer_protocol.c
  ${PROJECT_SOURCE_DIR}/client/assignor.c
  ${PROJECT_SOURCE_DIR}/client/assignor_range.c
  ${PROJECT_SOURCE_DIR}/client/assignor_roundrobin.c
  ${PROJECT_SOURCE_DIR}/client/assignor_sticky.c)
foreach(t protocol range roundrobin sticky)
  sl_unit_test(client_assignor_${t}_test SOURCES assignor_${t}_test.c assignor_util.c ${SL_ASG_PURE}
               LIBS sluice-proto sluice-base)
  target_include_directories(client_assignor_${t}_test PRIVATE ${PROJECT_SOURCE_DIR}/client)
endforeach()

# The same against librdkafka's own range and roundrobin leaders, with its
# in-process mock cluster as the coordinator.
pkg_check_modules(SL_ASG_RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
sl_unit_test(client_assignor_librdkafka_test SOURCES assignor_librdkafka_test.c assignor_util.c ${SL_ASG_PURE}
             LIBS sluice-proto sluice-base PkgConfig::SL_ASG_RDKAFKA)
target_include_directories(client_assignor_librdkafka_test PRIVATE ${PROJECT_SOURCE_DIR}/client)
