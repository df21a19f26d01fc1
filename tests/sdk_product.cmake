# The plugin SDK as a product (issue 5): the build installed into a temporary
# prefix and used the way an organisation would, never through the build tree.
#
#   sdk_product_install                  cmake --install into build/tests/sdk_product/prefix; the layout,
#                                        the version file, the installed CLI deciding a case
#   sdk_product_example_transaction_cost examples/plugins/transaction-cost built against the prefix,
#                                        its own tests, the verdicts it changes through the installed CLI
#   sdk_product_new_plugin               `insource new-plugin` (installed), built against the prefix,
#                                        its generated test, a vote through the installed CLI
#   sdk_product_pkg_config               a C and a C++ plugin built with pkg-config alone
#   sdk_product_clang_plugin             (clang++) tests/out_of_tree_plugin built with clang++ against the
#                                        prefix, loaded by the g++-built installed host
#   sdk_product_clang_host_loads_gxx_plugins  (clang) a host built with clang loads the g++-built plugins
#
# The ABI guarantees themselves are GoogleTest cases (sdk_abi_test.cc,
# plugin_loader_test.cc) and the insource_sdk_header_check target.
set(insource_sdk_work ${CMAKE_CURRENT_BINARY_DIR}/sdk_product)
set(insource_sdk_prefix ${insource_sdk_work}/prefix)
set(insource_sdk_scripts ${CMAKE_CURRENT_SOURCE_DIR}/sdk_product)
set(insource_sdk_args -DSRC=${PROJECT_SOURCE_DIR} -DBUILD=${PROJECT_BINARY_DIR} -DPREFIX=${insource_sdk_prefix}
                      -DLIBDIR=${CMAKE_INSTALL_LIBDIR} -DCTEST=${CMAKE_CTEST_COMMAND})

add_test(NAME sdk_product_install
         COMMAND ${CMAKE_COMMAND} ${insource_sdk_args} -DWORK=${insource_sdk_work}/install
                 -P ${insource_sdk_scripts}/install.cmake)
set_tests_properties(sdk_product_install PROPERTIES FIXTURES_SETUP insource_sdk_prefix)

add_test(NAME sdk_product_example_transaction_cost
         COMMAND ${CMAKE_COMMAND} ${insource_sdk_args} -DWORK=${insource_sdk_work}/example
                 -DCXX=${CMAKE_CXX_COMPILER} -P ${insource_sdk_scripts}/example.cmake)
add_test(NAME sdk_product_new_plugin
         COMMAND ${CMAKE_COMMAND} ${insource_sdk_args} -DWORK=${insource_sdk_work}/new_plugin
                 -DCXX=${CMAKE_CXX_COMPILER} -P ${insource_sdk_scripts}/new_plugin.cmake)
set(insource_sdk_tests sdk_product_example_transaction_cost sdk_product_new_plugin)

find_program(INSOURCE_PKG_CONFIG NAMES pkg-config pkgconf)
if(INSOURCE_PKG_CONFIG)
  add_test(NAME sdk_product_pkg_config
           COMMAND ${CMAKE_COMMAND} ${insource_sdk_args} -DWORK=${insource_sdk_work}/pkg_config
                   -DCC=${CMAKE_C_COMPILER} -DCXX=${CMAKE_CXX_COMPILER} -DPKG_CONFIG=${INSOURCE_PKG_CONFIG}
                   -P ${insource_sdk_scripts}/pkg_config.cmake)
  list(APPEND insource_sdk_tests sdk_product_pkg_config)
endif()

# clang++ against the installed prefix, with the out-of-tree test's own driver.
find_program(INSOURCE_CLANGXX clang++)
if(INSOURCE_CLANGXX)
  add_test(NAME sdk_product_clang_plugin
           COMMAND ${CMAKE_COMMAND} -DSDK_DIR=${insource_sdk_prefix}/${CMAKE_INSTALL_LIBDIR}/cmake/InsourceSDK
                   -DINSOURCE=${insource_sdk_prefix}/bin/insource
                   -DSRC=${CMAKE_CURRENT_SOURCE_DIR}/out_of_tree_plugin
                   -DWORK=${insource_sdk_work}/clang_plugin -DCXX=${INSOURCE_CLANGXX}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/out_of_tree_plugin/run.cmake)
  list(APPEND insource_sdk_tests sdk_product_clang_plugin)
endif()
find_program(INSOURCE_CLANG clang)
if(INSOURCE_CLANG)
  add_test(NAME sdk_product_clang_host_loads_gxx_plugins
           COMMAND ${CMAKE_COMMAND} ${insource_sdk_args} -DWORK=${insource_sdk_work}/clang_host
                   -DCLANG=${INSOURCE_CLANG} -P ${insource_sdk_scripts}/clang_host.cmake)
  list(APPEND insource_sdk_tests sdk_product_clang_host_loads_gxx_plugins)
endif()

set_tests_properties(${insource_sdk_tests} PROPERTIES FIXTURES_REQUIRED insource_sdk_prefix)
set_tests_properties(sdk_product_install ${insource_sdk_tests} PROPERTIES TIMEOUT 180 LABELS sdk_product)
