# Helpers for the sdk_product_* ctest scripts (cmake -P).

# sdk_run(WHAT command args... [WORKING_DIRECTORY dir]): runs the command, stops
# the test with its output when it fails; leaves stdout in sdk_out.
function(sdk_run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(sdk_out "${out}" PARENT_SCOPE)
endfunction()

# sdk_run_fails(WHAT EXPECTED_RC command args...): the command must fail with
# that exit status; leaves stderr in sdk_err.
function(sdk_run_fails what expected)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expected)
    message(FATAL_ERROR "${what}: expected exit status ${expected}, got ${rc}:\n${out}\n${err}")
  endif()
  set(sdk_err "${err}" PARENT_SCOPE)
endfunction()

# sdk_expect(TEXT REGEX WHY): TEXT must match REGEX.
function(sdk_expect text regex why)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${why}: no match for ${regex} in:\n${text}")
  endif()
endfunction()

# sdk_expect_contains(TEXT SUBSTRING WHY): TEXT must contain SUBSTRING as is.
function(sdk_expect_contains text sub why)
  string(FIND "${text}" "${sub}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${why}: '${sub}' not found in:\n${text}")
  endif()
endfunction()

# The installed insource sees only what a test gives it, not the caller's plugin
# path; `cmake --install` writes to the prefix given, not under a DESTDIR.
unset(ENV{INSOURCE_PLUGIN_PATH})
unset(ENV{DESTDIR})
