// insource facts: every name an override condition may use, with its type and
// who declares it (tools/condition_names.h). Facts that only the rules
// declare, such as capacity.utilization, appear here and not under `plugins`.
#include <algorithm>
#include <iostream>

#include "common.h"
#include "tools/condition_names.h"
#include "tools/decl_json.h"
#include "decl_text.h"
#include "io/json_text.h"

namespace insource::cli {

namespace {

struct FactsOptions {
  EngineOptions engine;
  std::string format = "text";
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// "{low|medium|high}, optional, weeks - description" (the range without its leading space).
std::string details(const ConditionName& n) {
  std::string range = fact_range_text(n.decl);
  if (!range.empty()) range.erase(0, 1);
  std::string out = range;
  if (n.kind == ConditionName::Kind::kFact) out += (out.empty() ? "" : ", ") + fact_fallback_text(n.decl);
  if (!n.decl.unit.empty()) out += ", " + n.decl.unit;
  return out;
}

int run_facts(const FactsOptions& o) {
  std::shared_ptr<const Policy> policy = load_engine(o.engine);
  if (!policy) return kExitUsage;
  const std::vector<ConditionName> names = condition_names(*policy);
  if (o.format == "json") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const ConditionName& n : names) list.push_back(condition_name_json(n));
    std::cout << json_text(list, 2) << "\n";
    return kExitOk;
  }
  size_t wn = 4, wt = 4, wd = 10;
  for (const ConditionName& n : names) {
    wn = std::max(wn, n.decl.name.size());
    wt = std::max(wt, std::string(type_name(n.decl.type)).size());
    wd = std::max(wd, join(n.declared_by).size());
  }
  auto pad = [](std::string s, size_t w) { return s.append(w + 2 - s.size(), ' '); };
  std::cout << pad("name", wn) << pad("type", wt) << pad("declared by", wd) << "values\n";
  for (const ConditionName& n : names) {
    std::string line = pad(n.decl.name, wn) + pad(type_name(n.decl.type), wt) + pad(join(n.declared_by), wd) + details(n);
    line.erase(line.find_last_not_of(' ') + 1);
    std::cout << line << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_facts(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<FactsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "facts", "List every name a condition may use: the plugins' facts, the rules' facts, score.<criterion> and total");
  add_engine_options(cmd, &o->engine);
  cmd->add_option("--format", o->format, "text, or json (an array with one object per name, for tools)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([o, exit_code]() { *exit_code = run_facts(*o); });
}

}  // namespace insource::cli
