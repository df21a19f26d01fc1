# insource_add_plugin(NAME SOURCES src... [OUTPUT_DIRECTORY dir] [INSTALL_DESTINATION dir])
#
# INSTALL_DESTINATION defaults to INSOURCE_PLUGIN_INSTALL_DIR (lib/insource/plugins),
# where the host looks beside its binary.
#
# Builds a criterion plugin as a MODULE library named NAME.so (no "lib"
# prefix), with hidden visibility so that only the entry symbol is exported,
# linked with no undefined symbols allowed, against the SDK alone.
include_guard(GLOBAL)

function(insource_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY;INSTALL_DESTINATION" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "insource_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  # InsourceSDK::sdk: the alias inside the insource tree, the imported target
  # of find_package(InsourceSDK) out of it.
  target_link_libraries(${name} PRIVATE InsourceSDK::sdk)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # A plugin must carry everything it needs: an undefined symbol would make
    # it depend on the host's internals, or fail at load time.
    target_link_options(${name} PRIVATE "LINKER:--no-undefined" "LINKER:-z,defs")
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  # Out of tree, plugins install where the host looks; in the insource tree
  # only the built-in ones do (they pass INSTALL_DESTINATION), not test fixtures.
  if(NOT ARG_INSTALL_DESTINATION AND NOT TARGET insource_sdk AND DEFINED INSOURCE_PLUGIN_INSTALL_DIR)
    set(ARG_INSTALL_DESTINATION ${INSOURCE_PLUGIN_INSTALL_DIR})
  endif()
  if(ARG_INSTALL_DESTINATION)
    install(TARGETS ${name} LIBRARY DESTINATION ${ARG_INSTALL_DESTINATION})
  endif()
endfunction()
