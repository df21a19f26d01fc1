# cmake -DINPUT=file -DOUTPUT=file.cc -P EmbedText.cmake
# Writes a C++ source defining insource::embedded_default_rules() with the text of INPUT.
file(READ ${INPUT} text HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${text}")
file(WRITE ${OUTPUT}
"// Generated from ${INPUT}; do not edit.\n#include <string_view>\nnamespace insource {\nnamespace {\nconst char kText[] = {${bytes} 0};\n}\nstd::string_view embedded_default_rules() { return std::string_view(kText, sizeof kText - 1); }\n}  // namespace insource\n")
