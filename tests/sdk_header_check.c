/* Compiled as strict C99 with -Wall -Wextra -pedantic -Werror: the plugin ABI must stay plain C. */
#include <insource/plugin.h>

/* Touch every type so that the compiler checks them all. */
size_t insource_sdk_header_check_c(void) {
  insource_plugin_descriptor d = {0};
  insource_fact_decl f = {0};
  insource_param_decl p = {0};
  insource_value v = {0};
  insource_vote vote = {0};
  insource_host h = {0};
  (void)d, (void)f, (void)p, (void)v, (void)vote, (void)h;
  return INSOURCE_DESCRIPTOR_MIN_SIZE_1_0;
}
