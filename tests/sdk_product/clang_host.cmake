# sdk_product_clang_host_loads_gxx_plugins: a host built with clang loads the
# plugins g++ built, from the installed prefix. The host is c_host.c, a C99
# host on plugin.h and dlopen alone (the real host, built with clang, is a CI
# job: see docs/plugin-guide.md, "Compilers").
#   cmake -DSRC=... -DPREFIX=... -DWORK=... -DLIBDIR=... -DCLANG=... -P clang_host.cmake
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(plugins ${PREFIX}/${LIBDIR}/insource/plugins)
sdk_run("clang c_host.c" ${CLANG} -std=c99 -Wall -Wextra -pedantic -Werror -I${PREFIX}/include
        -o ${WORK}/c_host ${CMAKE_CURRENT_LIST_DIR}/c_host.c -ldl)

# The candy-launch case of the README, criterion by criterion.
sdk_run("cost" ${WORK}/c_host ${plugins}/cost.so cost.hours=1200 cost.internal_rate=85 cost.external_rate=60
        cost.opportunity_rate=30 cost.transition=5000)
# rel(84200, 138000) = (84200 - 138000) / 138000 = -0.389855
sdk_expect_contains("${sdk_out}" "cost ABI 1.0 score -0.389855; in house 1200 h x (85 + 30)/h = 138000" "cost")
sdk_run("control" ${WORK}/c_host ${plugins}/control.so control.institutional_knowledge=high
        control.core_competence=false control.customer_facing=true control.change_frequency=high)
sdk_expect_contains("${sdk_out}" "control ABI 1.0 score 0.500000" "control")
sdk_run("security" ${WORK}/c_host ${plugins}/security.so security.system_access=front_office
        security.data_sensitivity=internal security.vendor_certified=true)
sdk_expect_contains("${sdk_out}" "security ABI 1.0 score 0.208333" "security")
sdk_run("legal" ${WORK}/c_host ${plugins}/legal.so legal.vendor_jurisdiction=domestic legal.regulated=false
        legal.ip_sensitive=true)
sdk_expect_contains("${sdk_out}" "legal ABI 1.0 score 0.333333" "legal")
sdk_run("training" ${WORK}/c_host ${plugins}/training.so)
sdk_expect_contains("${sdk_out}" "training ABI 1.0 abstained" "training")
