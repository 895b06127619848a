# format: the codecs (format_int.h).
sl_unit_test(sql_format_test SOURCES format_test.c LIBS sluice-sql)

# The data-driven SQL cases: one runner (tests/sql/runner.c, over sql.h's
# local engine) and one ctest entry sql_cases_<stem> per tests/sql/<stem>.test
# (globbed when configuring; <stem>.test.wip files are work in progress and
# not run).
add_executable(sql_case_runner ${CMAKE_SOURCE_DIR}/tests/sql/runner.c)
target_link_libraries(sql_case_runner PRIVATE sluice-sql)
set_target_properties(sql_case_runner PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
file(GLOB SL_SQL_CASE_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/sql/*.test)
foreach(f ${SL_SQL_CASE_FILES})
  get_filename_component(stem ${f} NAME_WLE)
  add_test(NAME sql_cases_${stem} COMMAND sql_case_runner ${f})
  set_tests_properties(sql_cases_${stem} PROPERTIES TIMEOUT 600)
endforeach()
