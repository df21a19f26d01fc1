# sdk_product_new_plugin: the installed `insource new-plugin` scaffolds a
# project that builds against the installed prefix and passes its test as
# generated; the installed insource loads it and it votes.
#   cmake -DPREFIX=... -DWORK=... -DLIBDIR=... -DCXX=... -DCTEST=... -P new_plugin.cmake
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(insource ${PREFIX}/bin/insource)
set(project ${WORK}/acme-team-fit)
file(REMOVE_RECURSE ${WORK})

sdk_run("new-plugin" ${insource} new-plugin acme-team-fit --criterion team-fit --dir ${project})
foreach(f CMakeLists.txt src/acme_team_fit.cc tests/acme_team_fit_test.cc README.md rules.yaml case.yaml)
  if(NOT EXISTS ${project}/${f})
    message(FATAL_ERROR "new-plugin did not write ${f}")
  endif()
endforeach()
file(READ ${project}/README.md readme)
sdk_expect_contains("${readme}" "cmake -S . -B build -DCMAKE_PREFIX_PATH=${PREFIX}" "README: the installed SDK")
sdk_expect_contains("${readme}" "${insource} decide --plugins build --rules rules.yaml case.yaml" "README: load")

# It never overwrites a project, and refuses names that cannot be a target or a criterion.
sdk_run_fails("new-plugin into a folder that is not empty" 2 ${insource} new-plugin acme-team-fit --criterion team-fit
              --dir ${project})
sdk_expect_contains("${sdk_err}" "is not empty" "new-plugin refusal")
sdk_run_fails("new-plugin with a bad criterion" 2 ${insource} new-plugin ok --criterion "no spaces" --dir ${WORK}/bad)
sdk_run_fails("new-plugin with a bad name" 2 ${insource} new-plugin 9lives --criterion c --dir ${WORK}/bad)

# The README's commands, as generated.
sdk_run("configure" ${CMAKE_COMMAND} -S ${project} -B ${project}/build -DCMAKE_PREFIX_PATH=${PREFIX}
        -DCMAKE_CXX_COMPILER=${CXX})
sdk_run("build" ${CMAKE_COMMAND} --build ${project}/build)
sdk_run("ctest" ${CTEST} --test-dir ${project}/build --output-on-failure)
sdk_expect("${sdk_out}" "100% tests passed, 0 tests failed out of [1-9]" "the scaffold's test")

sdk_run("insource plugins" ${insource} plugins --plugins build WORKING_DIRECTORY ${project})
sdk_expect_contains("${sdk_out}" "team-fit: acme-team-fit 0.1.0 (ABI 1.0)" "insource plugins")
sdk_run("insource decide" ${insource} decide --format json --plugins build --rules rules.yaml case.yaml
        WORKING_DIRECTORY ${project})
message(STATUS "${sdk_out}")
sdk_expect_contains("${sdk_out}" "\"verdict\":\"insource\"" "the scaffold's case")
sdk_expect("${sdk_out}" "\"team-fit\":{\"weight\":1(\\.0)?,\"score\":0\\.5," "the scaffold's vote")

# Installed into a prefix of its own, it loads from INSOURCE_PLUGIN_PATH.
sdk_run("install" ${CMAKE_COMMAND} --install ${project}/build --prefix ${WORK}/org)
set(ENV{INSOURCE_PLUGIN_PATH} ${WORK}/org/${LIBDIR}/insource/plugins)
sdk_run("insource decide (installed plugin)" ${insource} decide --format json --rules rules.yaml case.yaml
        WORKING_DIRECTORY ${project})
sdk_expect_contains("${sdk_out}" "\"verdict\":\"insource\"" "the installed scaffold")
