# sdk_product_pkg_config: plugins built with the compiler and pkg-config
# alone, no CMake, against the installed prefix: the plain-C fixture
# (tests/fixtures/plugins/c_speed.c) and the C++ out-of-tree example
# (tests/out_of_tree_plugin/headcount.cc). The installed insource loads both
# and they vote.
#   cmake -DSRC=... -DPREFIX=... -DWORK=... -DLIBDIR=... -DCC=... -DCXX=... -DPKG_CONFIG=... -P pkg_config.cmake
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(insource ${PREFIX}/bin/insource)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/plugins)
# Only the installed prefix's .pc files: nothing from the system or the build tree.
set(ENV{PKG_CONFIG_LIBDIR} ${PREFIX}/${LIBDIR}/pkgconfig)
unset(ENV{PKG_CONFIG_PATH})

sdk_run("pkg-config --modversion" ${PKG_CONFIG} --modversion insource-sdk)
sdk_run("pkg-config --cflags" ${PKG_CONFIG} --cflags insource-sdk)
separate_arguments(cflags UNIX_COMMAND "${sdk_out}")
sdk_run("pkg-config plugindir" ${PKG_CONFIG} --variable=plugindir insource-sdk)
string(STRIP "${sdk_out}" plugindir)
file(REAL_PATH "${plugindir}" plugindir)
file(REAL_PATH "${PREFIX}/${LIBDIR}/insource/plugins" expected_plugindir)
if(NOT plugindir STREQUAL expected_plugindir)
  message(FATAL_ERROR "pkg-config plugindir is ${plugindir}, not ${expected_plugindir}")
endif()

# The commands the plugin guide shows.
set(ldflags -shared -fPIC -Wl,--no-undefined -Wl,-z,defs)
sdk_run("cc c_speed.c" ${CC} -std=c99 -Wall -Wextra -O2 ${cflags} ${ldflags} -o ${WORK}/plugins/speed.so
        ${SRC}/tests/fixtures/plugins/c_speed.c)
sdk_run("c++ headcount.cc" ${CXX} -std=c++17 -Wall -Wextra -O2 ${cflags} ${ldflags} -o ${WORK}/plugins/headcount.so
        ${SRC}/tests/out_of_tree_plugin/headcount.cc)

# -fvisibility=hidden from the .pc: the C plugin exports its entry symbol alone.
find_program(NM nm)
if(NM)
  sdk_run("nm" ${NM} -D --defined-only ${WORK}/plugins/speed.so)
  string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_]*\n" exported "${sdk_out}")
  string(REPLACE "\n" "" exported "${exported}")
  if(NOT exported STREQUAL "insource_plugin_entry")
    message(FATAL_ERROR "speed.so exports ${exported}, not insource_plugin_entry alone")
  endif()
endif()

sdk_run("insource plugins" ${insource} plugins --no-default-plugins --plugins ${WORK}/plugins)
sdk_expect_contains("${sdk_out}" "speed: fixture-c-speed 0.1.0 (ABI 1.0)" "the C plugin")
sdk_expect_contains("${sdk_out}" "headcount: acme-headcount 2.1.0 (ABI 1.0)" "the C++ plugin")

file(WRITE ${WORK}/rules.yaml "insource: 1\ncriteria:\n  speed: {weight: 1}\n  headcount: {weight: 1}\n")
file(WRITE ${WORK}/case.yaml
  "id: pc\nfacts:\n  speed: {team_start_weeks: 2, vendor_start_weeks: 6}\n  headcount: {spare: 3, needed: 4}\n")
sdk_run("insource decide" ${insource} decide --format json --plugins ${WORK}/plugins --rules ${WORK}/rules.yaml
        ${WORK}/case.yaml)
message(STATUS "${sdk_out}")
# speed: (6 - 2) / 6 = 0.667; headcount: 2 x 3/4 - 1 = 0.5; total 0.583: insource.
sdk_expect("${sdk_out}" "\"speed\":{\"weight\":1(\\.0)?,\"score\":0\\.666666" "the C plugin's vote")
sdk_expect("${sdk_out}" "\"headcount\":{\"weight\":1(\\.0)?,\"score\":0\\.5," "the C++ plugin's vote")
sdk_expect_contains("${sdk_out}" "\"verdict\":\"insource\"" "the verdict")
