# The REST service (Kafka Connect's REST API on libmicrohttpd): rest.c
# receives and routes, rest_connectors.c and rest_plugins.c answer. GET /
# reports the project's version and the commit it was configured from.
target_sources(sluice-connect PRIVATE rest.c rest_connectors.c rest_plugins.c)
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                OUTPUT_VARIABLE SL_CONNECT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE SL_CONNECT_GIT_RC ERROR_QUIET)
if(NOT SL_CONNECT_GIT_RC EQUAL 0 OR SL_CONNECT_COMMIT STREQUAL "")
  set(SL_CONNECT_COMMIT unknown)
endif()
set_source_files_properties(rest_plugins.c PROPERTIES COMPILE_DEFINITIONS
  "SLUICE_VERSION=\"${PROJECT_VERSION}\";SLUICE_COMMIT=\"${SL_CONNECT_COMMIT}\"")
