// Compiled with -Wall -Wextra -pedantic -Werror: the C header and the C++
// wrapper must be clean C++ too.
#include <insource/plugin.h>
#include <insource/plugin.hpp>

size_t insource_sdk_header_check_cxx() { return sizeof(insource_plugin_descriptor) + sizeof(insource::Vote); }
