/* A minimal insource host in C99, for the ABI test "the host built with one
 * compiler loads plugins built with another": built with clang, it loads the
 * g++-built plugins of the installed prefix through plugin.h and dlopen
 * alone, as the real host does, and prints each vote.
 *
 *   c_host PLUGIN.so [fact=value ...]
 *
 * A value is read by the fact's declared type: a number, true/false, or a
 * string. Parameters take their declared defaults. Prints
 *   <criterion> ABI <major>.<minor> score <score> | abstained; <rationale>
 * and exits 0, or prints what went wrong and exits 1. */
#include <insource/plugin.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* what, const char* detail) {
  fprintf(stderr, "c_host: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  return 1;
}

int main(int argc, char** argv) {
  void* lib;
  insource_plugin_entry_fn entry;
  const insource_plugin_descriptor* d;
  insource_value* facts;
  insource_value* params;
  insource_host host;
  insource_vote vote;
  void* instance = NULL;
  char err[256] = "";
  int32_t status;
  uint32_t i;
  int a;

  if (argc < 2) return fail("usage: c_host PLUGIN.so [fact=value ...]", NULL);
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) return fail("dlopen", dlerror());
  /* The POSIX idiom: a data pointer converted to a function pointer through memcpy. */
  {
    void* sym = dlsym(lib, INSOURCE_ENTRY_SYMBOL);
    if (!sym) return fail("no entry symbol", argv[1]);
    memcpy(&entry, &sym, sizeof entry);
  }
  d = entry();
  if (!d) return fail("the entry returned no descriptor", argv[1]);
  if (d->abi_major != INSOURCE_ABI_MAJOR) return fail("another ABI major", argv[1]);
  if (d->struct_size < INSOURCE_DESCRIPTOR_MIN_SIZE_1_0) return fail("descriptor too small", argv[1]);

  facts = (insource_value*)calloc(d->fact_count + 1, sizeof *facts);
  params = (insource_value*)calloc(d->param_count + 1, sizeof *params);
  if (!facts || !params) return fail("out of memory", NULL);
  for (i = 0; i < d->param_count; ++i) params[i] = d->params[i].fallback;
  for (a = 2; a < argc; ++a) {
    const char* eq = strchr(argv[a], '=');
    const char* value;
    if (!eq) return fail("not fact=value", argv[a]);
    value = eq + 1;
    for (i = 0; i < d->fact_count; ++i)
      if (strlen(d->facts[i].name) == (size_t)(eq - argv[a]) && strncmp(d->facts[i].name, argv[a], (size_t)(eq - argv[a])) == 0) break;
    if (i == d->fact_count) return fail("the plugin declares no such fact", argv[a]);
    facts[i].type = d->facts[i].type;
    if (d->facts[i].type == INSOURCE_NUMBER) {
      facts[i].number = strtod(value, NULL);
    } else if (d->facts[i].type == INSOURCE_BOOL) {
      facts[i].boolean = strcmp(value, "true") == 0;
    } else {
      facts[i].string = value;
      facts[i].length = strlen(value);
    }
  }

  memset(&host, 0, sizeof host);
  host.struct_size = sizeof host;
  host.abi_major = INSOURCE_ABI_MAJOR;
  host.abi_minor = INSOURCE_ABI_MINOR;
  status = d->create(&host, params, d->param_count, &instance, err, sizeof err);
  if (status != INSOURCE_OK) return fail("create failed", err);
  memset(&vote, 0, sizeof vote);
  status = d->evaluate(instance, facts, d->fact_count, INSOURCE_EVAL_RATIONALE, &vote);
  if (status != INSOURCE_OK) {
    fprintf(stderr, "c_host: evaluate failed (%d): %s\n", (int)status, vote.message ? vote.message : "");
    d->destroy(instance);
    return 1;
  }
  if (vote.abstain)
    printf("%s ABI %u.%u abstained; %s\n", d->criterion, (unsigned)d->abi_major, (unsigned)d->abi_minor,
           vote.rationale ? vote.rationale : "");
  else
    printf("%s ABI %u.%u score %.6f; %s\n", d->criterion, (unsigned)d->abi_major, (unsigned)d->abi_minor, vote.score,
           vote.rationale ? vote.rationale : "");
  d->destroy(instance);
  free(facts);
  free(params);
  dlclose(lib);
  return 0;
}
