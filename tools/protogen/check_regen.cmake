# check_regen.cmake - ctest script: runs protogen on the schemas into a
# scratch directory and fails when the result differs from proto/gen/.
#   cmake -DPROTOGEN=<exe> -DSCHEMAS=<dir> -DGEN=<proto/gen> -DOUT=<scratch> -P check_regen.cmake
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${PROTOGEN}" "${SCHEMAS}" "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "protogen failed (${rc})")
endif()
execute_process(COMMAND diff -r "${GEN}" "${OUT}" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  string(SUBSTRING "${out}" 0 4000 out)
  message(FATAL_ERROR "proto/gen/ is stale: run `cmake --build <dir> --target protogen-regen`\n${out}")
endif()
message(STATUS "proto/gen/ matches a fresh protogen run")
