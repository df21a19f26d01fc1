# ctest driver: configure and build this folder against the SDK package with
# the compiler given, then have the insource binary load the plugin and vote.
#   cmake -DSDK_DIR=... -DINSOURCE=... -DSRC=... -DWORK=... -DCXX=... -P run.cmake
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${WORK} -DInsourceSDK_DIR=${SDK_DIR}
                        -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed:\n${out}\n${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build failed:\n${out}\n${err}")
endif()
execute_process(COMMAND ${INSOURCE} decide --format json --plugins ${WORK} --rules ${SRC}/rules.yaml ${SRC}/case.yaml
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "decide failed (${rc}):\n${err}")
endif()
# headcount: cover 3/4 -> 2*0.75-1 = 0.5; cost: rel(100*50*1.1, 5000) = 500/5500.
# total = (0.4*0.5 + 0.3*500/5500) / 0.7 = 0.3247: insource, with headcount voting.
if(NOT out MATCHES "\"headcount\":{\"weight\":0.4,\"score\":0.5,")
  message(FATAL_ERROR "the out-of-tree plugin did not vote 0.5")
endif()
if(NOT out MATCHES "\"verdict\":\"insource\"")
  message(FATAL_ERROR "expected verdict insource")
endif()
