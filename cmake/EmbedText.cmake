# cmake -DINPUT=file -DOUTPUT=file.cc [-DFUNCTION=name] [-DNAMESPACE=ns] -P EmbedText.cmake
# Writes a C++ source defining std::string_view NAMESPACE::FUNCTION() with the
# text of INPUT (by default insource::embedded_default_rules()).
if(NOT DEFINED FUNCTION)
  set(FUNCTION embedded_default_rules)
endif()
if(NOT DEFINED NAMESPACE)
  set(NAMESPACE insource)
endif()
file(READ ${INPUT} text HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${text}")
file(WRITE ${OUTPUT}
"// Generated from ${INPUT}; do not edit.\n#include <string_view>\nnamespace ${NAMESPACE} {\nnamespace {\nconst char kText[] = {${bytes} 0};\n}\nstd::string_view ${FUNCTION}() { return std::string_view(kText, sizeof kText - 1); }\n}  // namespace ${NAMESPACE}\n")
