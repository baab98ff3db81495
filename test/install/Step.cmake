# step(): one checked command of the build-system tests (InstallTest.cmake,
# ConfigureTest.cmake).

# step(NAME <name> [RC <exit status>|FAILS] [MATCH <regex>...]
#      [NOMATCH <regex>...] COMMAND <command>...)
# Runs the command (stdout and stderr together) and checks its exit status
# (default 0; FAILS: anything but 0) and output.
function(step)
  cmake_parse_arguments(S "FAILS" "NAME;RC" "MATCH;NOMATCH;COMMAND" ${ARGN})
  if(NOT DEFINED S_RC)
    set(S_RC 0)
  endif()
  execute_process(COMMAND ${S_COMMAND} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(problems "")
  if(S_FAILS)
    if(rc EQUAL 0)
      list(APPEND problems "exit status 0, expected a failure")
    endif()
  elseif(NOT rc STREQUAL S_RC)
    list(APPEND problems "exit status ${rc}, expected ${S_RC}")
  endif()
  foreach(re IN LISTS S_MATCH)
    if(NOT out MATCHES "${re}")
      list(APPEND problems "the output does not match '${re}'")
    endif()
  endforeach()
  foreach(re IN LISTS S_NOMATCH)
    if(out MATCHES "${re}")
      list(APPEND problems "the output matches '${re}'")
    endif()
  endforeach()
  if(problems)
    list(JOIN problems "; " problem)
    list(JOIN S_COMMAND " " cmd)
    message(FATAL_ERROR "[${S_NAME}] ${problem}\n$ ${cmd}\n${out}")
  endif()
  message(STATUS "[${S_NAME}] ok")
endfunction()

