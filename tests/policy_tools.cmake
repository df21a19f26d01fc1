# The policy authors' tools (issue 4): rule tests with coverage, explain, flip
# margins, static checks, the schemas, diff. The GoogleTest suites are
# policy_tools_*_test.cc and friends (globbed into insource_tests); here:
#
#   policy_tools_dial               a fixture plugin whose score is a fact (dial.score), so that a
#                                   test can set a score and check a flip margin by deciding again
#   policy_tools_rules_<name>       `insource test <rules>.test.yaml --coverage --min-coverage 100`
#                                   for every rule test file beside the shipped and example rules
#   policy_tools_schema_jsonschema  both schemas are valid draft-07 and accept every shipped rules and
#                                   rule test file, by python3-jsonschema (skipped when not installed)
insource_add_plugin(policy_tools_dial SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/policy_tools/plugins/dial.cc
                    OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/fixtures/plugins/dial)
set_target_properties(policy_tools_dial PROPERTIES OUTPUT_NAME dial)
add_dependencies(insource_tests policy_tools_dial)

file(GLOB insource_rule_tests CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/rules/*.test.yaml
     ${PROJECT_SOURCE_DIR}/examples/*.test.yaml
     ${PROJECT_SOURCE_DIR}/examples/rules/*.test.yaml)
foreach(t IN LISTS insource_rule_tests)
  get_filename_component(name ${t} NAME_WE)
  add_test(NAME policy_tools_rules_${name}
           COMMAND $<TARGET_FILE:insource> test ${t} --coverage --min-coverage 100)
endforeach()

add_test(NAME policy_tools_schema_jsonschema
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/policy_tools/validate_schemas.py
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(policy_tools_schema_jsonschema PROPERTIES SKIP_RETURN_CODE 77)
