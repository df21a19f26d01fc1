// In-process costs of one case, phase by phase, and how they scale.
//
//   build/bin/insource_bench                 (all)
//   build/bin/insource_bench --benchmark_filter=Overrides
//
// Phases (per case): Parse (JSON line -> CaseFacts), EvaluatePlugins (the five
// plugins and the weighted vote, no overrides), Overrides (the default three,
// on top of the vote), Format (the compact record). Scaling: 3, 100, 1,000
// and 10,000 overrides (generated per-vendor exceptions, the shape large
// policies take), and 5 vs 50 criteria (synthetic plugins).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "service/batch.h"
#include "policy/evaluator.h"
#include "io/json_case_parser.h"
#include "policy/policy.h"
#include "io/record_format.h"

namespace insource {
namespace {

constexpr int kCases = 4096;

PluginSet builtins() { return load_plugins({INSOURCE_PLUGIN_DIR}); }

// Generated cases (tools/gen_cases.py), each line padded for simdjson.
std::vector<std::string> generated_lines(int n, const std::string& extra_facts_json = {}) {
  std::string cmd = "/usr/bin/python3 " + std::string(INSOURCE_SOURCE_DIR) + "/tools/gen_cases.py " + std::to_string(n);
  FILE* f = popen(cmd.c_str(), "r");
  std::vector<std::string> lines;
  char buf[8192];
  std::string line;
  std::mt19937 rng(7);
  while (fgets(buf, sizeof buf, f)) {
    line = buf;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    if (!extra_facts_json.empty()) {
      // Splice extra facts into "facts":{...}: after the opening brace.
      size_t at = line.find("\"facts\":{") + 9;
      std::string extra = extra_facts_json;
      size_t hole = extra.find("%d");
      if (hole != std::string::npos) extra.replace(hole, 2, std::to_string(rng() % 20000));
      line.insert(at, extra + ",");
    }
    lines.push_back(line + std::string(kJsonPadding, ' '));
  }
  pclose(f);
  return lines;
}

std::vector<CaseFacts> parsed(const Policy& p, const std::vector<std::string>& lines) {
  JsonCaseParser parser(p.schema());
  std::vector<CaseFacts> out;
  std::string err;
  for (const auto& l : lines) {
    CaseFacts c;
    if (parser.parse(l.data(), l.size() - kJsonPadding, l.size(), &c, &err) != JsonCaseParser::Result::kOk) {
      std::fprintf(stderr, "bench case does not parse: %s\n", err.c_str());
      std::abort();
    }
    // The parser's strings live in the parser: keep copies in the case.
    for (auto& v : c.facts)
      if (v.type == INSOURCE_STRING) v = make_string(c.keep(string_of(v)));
    out.push_back(std::move(c));
  }
  return out;
}

std::shared_ptr<const Policy> policy_from(const std::string& yaml) {
  return Policy::compile(read_rules_text(yaml, "bench.yaml", INSOURCE_SOURCE_DIR "/rules"), builtins());
}

const std::string kDefaultNoOverrides = R"(insource: 1
facts: {capacity.utilization: number}
criteria:
  cost:     {weight: 0.30, params: {vendor_overhead: 0.10}}
  control:  {weight: 0.25}
  security: {weight: 0.20, params: {certified_discount: 0.5}}
  legal:    {weight: 0.15}
  training: {weight: 0.10}
)";

void BM_Parse(benchmark::State& state) {
  auto p = load_policy("", builtins());
  auto lines = generated_lines(kCases);
  JsonCaseParser parser(p->schema());
  CaseFacts c;
  std::string err;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& l = lines[i++ % lines.size()];
    benchmark::DoNotOptimize(parser.parse(l.data(), l.size() - kJsonPadding, l.size(), &c, &err));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Parse);

void decide_loop(benchmark::State& state, const std::shared_ptr<const Policy>& p, const std::vector<CaseFacts>& cases) {
  Evaluator e(p);
  Decision d;
  size_t i = 0;
  for (auto _ : state) {
    e.decide(cases[i++ % cases.size()], &d, false);
    benchmark::DoNotOptimize(d.total);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EvaluatePlugins(benchmark::State& state) {
  auto p = policy_from(kDefaultNoOverrides);
  decide_loop(state, p, parsed(*p, generated_lines(kCases)));
}
BENCHMARK(BM_EvaluatePlugins);

void BM_EvaluatePluginsAndDefaultOverrides(benchmark::State& state) {
  auto p = load_policy("", builtins());
  decide_loop(state, p, parsed(*p, generated_lines(kCases)));
}
BENCHMARK(BM_EvaluatePluginsAndDefaultOverrides);

// The same with every plugin isolated in a worker process (docs/reliability.md
// section 2): one round trip per case through a socket pair.
void BM_EvaluatePluginsIsolated(benchmark::State& state) {
  PluginTrust trust;
  trust.allow_writable = true;
  trust.isolate_all = true;
  auto p = Policy::compile(read_rules_text(kDefaultNoOverrides, "bench.yaml", INSOURCE_SOURCE_DIR "/rules"),
                           load_plugins({INSOURCE_PLUGIN_DIR}, trust));
  decide_loop(state, p, parsed(*p, generated_lines(kCases)));
}
BENCHMARK(BM_EvaluatePluginsIsolated);

void BM_FormatCompact(benchmark::State& state) {
  auto p = load_policy("", builtins());
  auto cases = parsed(*p, generated_lines(kCases));
  Evaluator e(p);
  std::vector<Decision> decisions(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) e.decide(cases[i], &decisions[i], false);
  CompactFormatter f(*p);
  std::string out;
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    size_t k = i++ % cases.size();
    f.append(&out, cases[k], decisions[k]);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatCompact);

// N generated overrides: per-vendor exceptions keyed on contract.vendor, then
// the default three. Every case names a vendor; about half have an exception.
void BM_Overrides(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::string rules = "insource: 1\nextends: default.yaml\nfacts: {contract.vendor: string}\n";
  if (n > 3) {
    rules += "overrides:\n";
    for (int i = 0; i < n - 3; ++i) {
      rules += "  - {id: vendor-" + std::to_string(i) + ", when: 'contract.vendor == \"v" + std::to_string(i * 2) +
               "\" and cost.hours > " + std::to_string(i % 700) + "', verdict: " + (i % 2 ? "outsource" : "insource") +
               "}\n";
    }
  }
  auto p = policy_from(rules);
  auto cases = parsed(*p, generated_lines(kCases, "\"contract\":{\"vendor\":\"v%d\"}"));
  decide_loop(state, p, cases);
  state.counters["overrides"] = static_cast<double>(p->overrides().size());
}
BENCHMARK(BM_Overrides)->Arg(3)->Arg(100)->Arg(1000)->Arg(10000);

// Synthetic criteria: each reads two facts of its own and votes their rel().
struct Synthetic {
  static std::deque<std::string>& names() {
    static std::deque<std::string> n;
    return n;
  }
  static int32_t create(const insource_host*, const insource_value*, size_t, void** out, char*, size_t) {
    *out = new int(0);
    return INSOURCE_OK;
  }
  static int32_t evaluate(void*, const insource_value* f, size_t, uint32_t, insource_vote* v) {
    if (f[0].type != INSOURCE_NUMBER || f[1].type != INSOURCE_NUMBER) {
      v->abstain = 1;
      return INSOURCE_OK;
    }
    double a = f[0].number, b = f[1].number, m = a > b ? a : b;
    v->score = m > 0 ? (a - b) / m : 0;
    return INSOURCE_OK;
  }
  static void destroy(void* p) { delete static_cast<int*>(p); }
};

std::shared_ptr<const LoadedPlugin> synthetic_plugin(int k, std::deque<insource_plugin_descriptor>* ds,
                                               std::deque<std::vector<insource_fact_decl>>* fs) {
  auto& names = Synthetic::names();
  const std::string& crit = names.emplace_back("c" + std::to_string(k));
  const std::string& a = names.emplace_back("c" + std::to_string(k) + ".a");
  const std::string& b = names.emplace_back("c" + std::to_string(k) + ".b");
  auto& facts = fs->emplace_back();
  for (const std::string* n : {&a, &b})
    facts.push_back(insource_fact_decl{n->c_str(), INSOURCE_NUMBER, 0, make_absent(), nullptr, 0.0, HUGE_VAL, nullptr, nullptr});
  insource_plugin_descriptor d{};
  d.abi_major = INSOURCE_ABI_MAJOR;
  d.struct_size = sizeof d;
  d.name = crit.c_str();
  d.version = "1";
  d.criterion = crit.c_str();
  d.description = "synthetic";
  d.facts = facts.data();
  d.fact_count = 2;
  d.score_min = -1;
  d.score_max = 1;
  d.create = &Synthetic::create;
  d.evaluate = &Synthetic::evaluate;
  d.destroy = &Synthetic::destroy;
  return LoadedPlugin::from_descriptor(&ds->emplace_back(d), "synthetic");
}

void BM_Criteria(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  static std::deque<insource_plugin_descriptor> descriptors;
  static std::deque<std::vector<insource_fact_decl>> facts;
  PluginSet set;
  std::string rules = "insource: 1\ncriteria:\n";
  std::string json = "{\"id\":\"x\",\"facts\":{";
  for (int k = 0; k < n; ++k) {
    set.plugins.push_back(synthetic_plugin(k, &descriptors, &facts));
    rules += "  c" + std::to_string(k) + ": {weight: 1}\n";
    json += std::string(k ? "," : "") + "\"c" + std::to_string(k) + "\":{\"a\":" + std::to_string(k + 1) + ",\"b\":" +
            std::to_string(2 * k + 1) + "}";
  }
  json += "}}" + std::string(kJsonPadding, ' ');
  auto p = Policy::compile(read_rules_text(rules, "bench.yaml", "."), std::move(set));
  std::vector<CaseFacts> cases = parsed(*p, {json});
  decide_loop(state, p, cases);
  state.counters["criteria"] = n;
}
BENCHMARK(BM_Criteria)->Arg(5)->Arg(50);

}  // namespace
}  // namespace insource

BENCHMARK_MAIN();
