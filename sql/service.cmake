# service: the REST API (ksqlDB's shape) over an engine, with libmicrohttpd.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SL_SQL_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
list(APPEND SL_SQL_SRCS ${CMAKE_CURRENT_SOURCE_DIR}/rest.c)
list(APPEND SL_SQL_LIBS PkgConfig::SL_SQL_MHD)
