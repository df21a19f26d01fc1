# sdk_product_example_transaction_cost: examples/plugins/transaction-cost, an
# organisation's own plugin, built against the INSTALLED prefix (not the build
# tree) with its own CMake; its own tests; installed into its own prefix; then
# loaded by the installed insource, where it changes two verdicts of the
# default policy.
#   cmake -DSRC=... -DPREFIX=... -DWORK=... -DLIBDIR=... -DCXX=... -DCTEST=... -P example.cmake
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(example ${SRC}/examples/plugins/transaction-cost)
set(insource ${PREFIX}/bin/insource)
file(REMOVE_RECURSE ${WORK})

sdk_run("configure the example" ${CMAKE_COMMAND} -S ${example} -B ${WORK}/build -DCMAKE_PREFIX_PATH=${PREFIX}
        -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)
# It found the installed SDK and the installed default policy, nothing of the build tree.
file(STRINGS ${WORK}/build/CMakeCache.txt sdk_dir REGEX "^InsourceSDK_DIR:")
if(NOT sdk_dir STREQUAL "InsourceSDK_DIR:PATH=${PREFIX}/${LIBDIR}/cmake/InsourceSDK")
  message(FATAL_ERROR "the example did not use the installed SDK: ${sdk_dir}")
endif()
file(READ ${WORK}/build/rules.yaml rules)
sdk_expect_contains("${rules}" "extends: \"${PREFIX}/share/insource/rules/default.yaml\"" "build/rules.yaml")

sdk_run("build the example" ${CMAKE_COMMAND} --build ${WORK}/build)
sdk_run("the example's tests" ${CTEST} --test-dir ${WORK}/build --output-on-failure)
sdk_expect("${sdk_out}" "100% tests passed, 0 tests failed out of [1-9]" "the example's tests")

# Deployed like an organisation would: its own prefix, on INSOURCE_PLUGIN_PATH.
sdk_run("install the example" ${CMAKE_COMMAND} --install ${WORK}/build --prefix ${WORK}/org)
set(org_plugins ${WORK}/org/${LIBDIR}/insource/plugins)
set(org_rules ${WORK}/org/share/insource/rules/transaction-cost.yaml)
foreach(f ${org_plugins}/transaction-cost.so ${org_rules})
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
set(ENV{INSOURCE_PLUGIN_PATH} ${org_plugins})

sdk_run("insource plugins" ${insource} plugins)
sdk_expect_contains("${sdk_out}" "transaction-cost: example-transaction-cost 1.0.0 (ABI 1.0)" "insource plugins")
sdk_expect_contains("${sdk_out}" "file: ${org_plugins}/transaction-cost.so" "insource plugins")
sdk_expect_contains("${sdk_out}" "tce.frequency: string {one_off|occasional|recurrent}, required" "insource plugins")
sdk_run("insource check" ${insource} check --rules ${org_rules})

# case; verdict of the default policy; verdict with transaction-cost; its score.
set(cases
  "erp-integration|hybrid|insource|0.9"
  "manual-translation|hybrid|outsource|-0.8")
foreach(c IN LISTS cases)
  string(REPLACE "|" ";" c "${c}")
  list(GET c 0 id)
  list(GET c 1 before)
  list(GET c 2 after)
  list(GET c 3 score)
  sdk_run("decide ${id} (default policy)" ${insource} decide --format json ${example}/cases/${id}.yaml)
  sdk_expect_contains("${sdk_out}" "\"verdict\":\"${before}\"" "${id} under the default policy")
  sdk_run("decide ${id} (with transaction-cost)" ${insource} decide --format json --rules ${org_rules}
          ${example}/cases/${id}.yaml)
  message(STATUS "${sdk_out}")
  sdk_expect_contains("${sdk_out}" "\"verdict\":\"${after}\"" "${id} with transaction-cost")
  sdk_expect_contains("${sdk_out}" "\"transaction-cost\":{\"weight\":0.25,\"score\":${score}" "${id}: the vote")
  message(STATUS "${id}: ${before} under the default policy, ${after} with transaction-cost")
endforeach()
