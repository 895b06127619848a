# The application runtime against a real sluiced: streams_app_drv (a word
# count on the public streams.h) driven by streams_app.py.
add_executable(streams_app_drv ${CMAKE_CURRENT_LIST_DIR}/streams_app_drv.c)
target_link_libraries(streams_app_drv PRIVATE sluice-streams)
set_target_properties(streams_app_drv PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
list(APPEND SL_STREAMS_IT app:600)
