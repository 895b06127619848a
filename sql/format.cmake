# format: rows <-> bytes (format_int.h): the codec and its checks, JSON
# (jansson for single values), DELIMITED, KAFKA, the shared scalar text, the
# internal row encoding and the local engine's JSON text.
pkg_check_modules(SL_SQL_JANSSON REQUIRED IMPORTED_TARGET jansson)
list(APPEND SL_SQL_SRCS
  ${CMAKE_CURRENT_SOURCE_DIR}/format_codec.c
  ${CMAKE_CURRENT_SOURCE_DIR}/format_num.c
  ${CMAKE_CURRENT_SOURCE_DIR}/format_json.c
  ${CMAKE_CURRENT_SOURCE_DIR}/format_delimited.c
  ${CMAKE_CURRENT_SOURCE_DIR}/format_kafka.c
  ${CMAKE_CURRENT_SOURCE_DIR}/format_internal.c
  ${CMAKE_CURRENT_SOURCE_DIR}/format_text.c)
list(APPEND SL_SQL_LIBS PkgConfig::SL_SQL_JANSSON)
