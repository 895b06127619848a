# The standalone Connect worker against a real sluiced: file source ->
# topic -> file sink, a clean run and a kill -9 mid-stream
# (connect_standalone.py runs sluice-connect-standalone with the plugins in
# build/connect-plugins); and the runtime's exactly-once source path, killed
# and restarted (connect_standalone_eos.py runs connect_standalone_eos_drv:
# a runtime over an offset store that writes offsets in the transaction).
add_executable(connect_standalone_eos_drv ${CMAKE_CURRENT_LIST_DIR}/connect_standalone_eos_drv.c)
target_link_libraries(connect_standalone_eos_drv PRIVATE sluice-connect)
set_target_properties(connect_standalone_eos_drv PROPERTIES
                      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
list(APPEND SL_CONNECT_IT standalone:600 standalone_eos:300)
