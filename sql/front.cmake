# The SQL front end: the tokenizer (lexer.re, re2c) and the grammar
# (parse.y, lemon) are generated at build time into the binary directory
# (on sluice-sql's private include path), with ast.c's constructors and
# driver. lemon writes beside its input, so it runs on a copy of parse.y;
# -c keeps every action explicit (see parse.y on keywords as identifiers).
find_program(RE2C re2c REQUIRED)
find_program(LEMON lemon REQUIRED)
set(SL_LEMPAR /usr/share/lemon/lempar.c)

set(_front_bin ${CMAKE_CURRENT_BINARY_DIR})
add_custom_command(
  OUTPUT ${_front_bin}/parse.c ${_front_bin}/parse.h
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_CURRENT_SOURCE_DIR}/parse.y ${_front_bin}/parse.y
  COMMAND ${LEMON} -q -c -d${_front_bin} -T${SL_LEMPAR} ${_front_bin}/parse.y
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/parse.y ${SL_LEMPAR}
  COMMENT "lemon parse.y"
  VERBATIM)
add_custom_command(
  OUTPUT ${_front_bin}/lexer.c
  COMMAND ${RE2C} -W --no-generation-date -o ${_front_bin}/lexer.c ${CMAKE_CURRENT_SOURCE_DIR}/lexer.re
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/lexer.re ${_front_bin}/parse.h
  COMMENT "re2c lexer.re"
  VERBATIM)

# lemon's template declares locals and parameters some grammars never use.
set_source_files_properties(${_front_bin}/parse.c PROPERTIES
  COMPILE_OPTIONS "-Wno-unused-variable;-Wno-unused-parameter")

list(APPEND SL_SQL_SRCS
  ${_front_bin}/parse.c
  ${_front_bin}/lexer.c
  ${CMAKE_CURRENT_SOURCE_DIR}/ast.c)
