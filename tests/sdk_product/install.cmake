# sdk_product_install: `cmake --install` the build into a fresh prefix and
# check that the prefix is a complete, self-contained insource:
#   bin/insource, lib/insource/plugins/ (the five built-ins and nothing else),
#   include/insource/plugin.h and plugin.hpp, the CMake package with its
#   version file, the pkg-config file, share/insource/rules/default.yaml.
#   cmake -DBUILD=... -DSRC=... -DPREFIX=... -DWORK=... -DLIBDIR=... -P install.cmake
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(REMOVE_RECURSE ${PREFIX} ${WORK})
sdk_run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${PREFIX})

set(expected
  bin/insource
  ${LIBDIR}/insource/plugins/cost.so
  ${LIBDIR}/insource/plugins/control.so
  ${LIBDIR}/insource/plugins/security.so
  ${LIBDIR}/insource/plugins/legal.so
  ${LIBDIR}/insource/plugins/training.so
  include/insource/plugin.h
  include/insource/plugin.hpp
  ${LIBDIR}/cmake/InsourceSDK/InsourceSDKConfig.cmake
  ${LIBDIR}/cmake/InsourceSDK/InsourceSDKConfigVersion.cmake
  ${LIBDIR}/cmake/InsourceSDK/InsourceSDKTargets.cmake
  ${LIBDIR}/cmake/InsourceSDK/InsourcePlugin.cmake
  ${LIBDIR}/pkgconfig/insource-sdk.pc
  share/insource/rules/default.yaml)
set(missing "")
foreach(f IN LISTS expected)
  if(NOT EXISTS ${PREFIX}/${f})
    list(APPEND missing ${f})
  endif()
endforeach()
if(missing)
  file(GLOB_RECURSE have RELATIVE ${PREFIX} ${PREFIX}/*)
  message(FATAL_ERROR "missing from the installed prefix: ${missing}\ninstalled: ${have}")
endif()

# The five built-ins and nothing else: no test fixture is installed.
file(GLOB plugins RELATIVE ${PREFIX}/${LIBDIR}/insource/plugins ${PREFIX}/${LIBDIR}/insource/plugins/*)
list(SORT plugins)
if(NOT plugins STREQUAL "control.so;cost.so;legal.so;security.so;training.so")
  message(FATAL_ERROR "installed plugins: ${plugins}")
endif()

# The default policy installed is the one compiled into the binary.
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${SRC}/rules/default.yaml
                        ${PREFIX}/share/insource/rules/default.yaml RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "share/insource/rules/default.yaml differs from rules/default.yaml")
endif()

# Relocatable: no installed package file names the build or the source tree.
file(GLOB_RECURSE package_files ${PREFIX}/${LIBDIR}/cmake/*.cmake ${PREFIX}/${LIBDIR}/pkgconfig/*.pc)
foreach(f IN LISTS package_files)
  file(READ ${f} text)
  foreach(tree IN ITEMS ${BUILD} ${SRC})
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${f} names ${tree}: the installed package must not depend on the build or source tree")
    endif()
  endforeach()
endforeach()

# The installed binary runs, finds its plugins beside it, and decides.
sdk_run("insource --version" ${PREFIX}/bin/insource --version)
sdk_expect("${sdk_out}" "^insource [0-9]+\\.[0-9]+\\.[0-9]+ \\(plugin ABI 1\\.[0-9]+\\)" "insource --version")
sdk_run("insource plugins" ${PREFIX}/bin/insource plugins)
foreach(c cost control security legal training)
  sdk_expect_contains("${sdk_out}" "file: ${PREFIX}/${LIBDIR}/insource/plugins/${c}.so" "installed plugin ${c}")
endforeach()
sdk_run("insource decide" ${PREFIX}/bin/insource decide --format json ${SRC}/examples/cases/candy-launch.yaml)
sdk_expect_contains("${sdk_out}" "\"verdict\":\"outsource-then-insource\"" "candy-launch with the installed insource")

# The version file: the same major is compatible, another is not.
file(READ ${PREFIX}/${LIBDIR}/cmake/InsourceSDK/InsourceSDKConfigVersion.cmake version_file)
string(REGEX MATCH "PACKAGE_VERSION \"([0-9]+)\\.([0-9]+)" _ "${version_file}")
set(major ${CMAKE_MATCH_1})
set(minor ${CMAKE_MATCH_2})
math(EXPR next_major "${major} + 1")
file(WRITE ${WORK}/version_probe/CMakeLists.txt
  "cmake_minimum_required(VERSION 3.25)\nproject(version_probe NONE)\n"
  "find_package(InsourceSDK ${major}.${minor} CONFIG REQUIRED)\n"
  "set(found_in \"\${InsourceSDK_DIR}\")\n"
  "find_package(InsourceSDK ${next_major} CONFIG QUIET)\n"
  "if(InsourceSDK_FOUND)\n  message(FATAL_ERROR \"InsourceSDK ${next_major} accepted\")\nendif()\n"
  "message(STATUS \"InsourceSDK ${major}.${minor} found in \${found_in}, ${next_major} refused\")\n")
sdk_run("version probe" ${CMAKE_COMMAND} -S ${WORK}/version_probe -B ${WORK}/version_probe/build
        -DCMAKE_PREFIX_PATH=${PREFIX})
sdk_expect_contains("${sdk_out}" "found in ${PREFIX}/${LIBDIR}/cmake/InsourceSDK, ${next_major} refused" "version file")
message(STATUS "installed to ${PREFIX}: ${expected}")
