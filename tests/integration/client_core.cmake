# The client core's integration test: client_core_drv (bootstrap, metadata,
# coordinator lookup) run by client_core.py against a real sluiced.
add_executable(client_core_drv ${CMAKE_CURRENT_LIST_DIR}/client_core_drv.c)
target_link_libraries(client_core_drv PRIVATE sluice-client)
set_target_properties(client_core_drv PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
list(APPEND SL_CLIENT_IT core:120)
