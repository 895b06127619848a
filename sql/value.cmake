# value: SQL types, datums (compare, hash, copy, cast, format) and rows.
list(APPEND SL_SQL_SRCS
  ${CMAKE_CURRENT_SOURCE_DIR}/type.c
  ${CMAKE_CURRENT_SOURCE_DIR}/datum.c
  ${CMAKE_CURRENT_SOURCE_DIR}/datum_cast.c
  ${CMAKE_CURRENT_SOURCE_DIR}/row.c
)
