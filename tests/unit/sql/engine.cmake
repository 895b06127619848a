# The engine through sql.h: a local engine's statements, entities and
# queries; a cluster engine against a real sluiced the test starts itself.
sl_unit_test(sql_engine_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_test.c LIBS sluice-sql)
if(TARGET sluiced)
  sl_unit_test(sql_engine_cluster_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_cluster_test.c LIBS sluice-sql)
  target_compile_definitions(sql_engine_cluster_test PRIVATE SLUICED_PATH="$<TARGET_FILE:sluiced>")
  add_dependencies(sql_engine_cluster_test sluiced)
endif()
