// `insource test --coverage`: which overrides, bands and criteria the tests
// exercised, per rules file (rule_tests.h).
#include <algorithm>
#include <cstdio>
#include <string>

#include "io/report.h"
#include "tools/rule_tests.h"

namespace insource {

Coverage Coverage::of(const Policy& p, std::string rules_label) {
  Coverage c;
  c.rules_ = std::move(rules_label);
  for (const auto& o : p.overrides()) c.overrides_.push_back(o.id);
  c.matched_.assign(c.overrides_.size(), 0);
  c.passed_.assign(c.overrides_.size(), 0);
  for (const auto& b : p.criteria()) c.criteria_.push_back(b.name);
  c.voted_.assign(c.criteria_.size(), 0);
  c.abstained_.assign(c.criteria_.size(), 0);
  return c;
}

void Coverage::add(const Decision& d) {
  if (d.failed) return;
  const size_t reached = d.rule >= 0 ? static_cast<size_t>(d.rule) : overrides_.size();
  for (size_t i = 0; i < reached && i < passed_.size(); ++i) ++passed_[i];
  if (d.rule >= 0 && static_cast<size_t>(d.rule) < matched_.size()) ++matched_[static_cast<size_t>(d.rule)];
  if (d.rule < 0 && d.weight_sum > 0) {
    switch (d.verdict) {
      case Verdict::kInsource: ++bands_[0]; break;
      case Verdict::kHybrid: ++bands_[1]; break;
      case Verdict::kOutsource: ++bands_[2]; break;
      default: break;
    }
  }
  for (size_t i = 0; i < criteria_.size() && i < d.criteria.size(); ++i) {
    if (d.criteria[i].state == CriterionOutcome::State::kVoted) ++voted_[i];
    if (d.criteria[i].state == CriterionOutcome::State::kAbstained) ++abstained_[i];
  }
}

void Coverage::merge(const Coverage& o) {
  if (o.overrides_ != overrides_ || o.criteria_ != criteria_) return;
  for (size_t i = 0; i < matched_.size(); ++i) matched_[i] += o.matched_[i], passed_[i] += o.passed_[i];
  for (size_t i = 0; i < 3; ++i) bands_[i] += o.bands_[i];
  for (size_t i = 0; i < voted_.size(); ++i) voted_[i] += o.voted_[i], abstained_[i] += o.abstained_[i];
}

int Coverage::items() const { return static_cast<int>(2 * overrides_.size() + 3 + 2 * criteria_.size()); }

int Coverage::covered() const {
  int n = 0;
  for (size_t i = 0; i < matched_.size(); ++i) n += (matched_[i] > 0) + (passed_[i] > 0);
  for (int b : bands_) n += b > 0;
  for (size_t i = 0; i < voted_.size(); ++i) n += (voted_[i] > 0) + (abstained_[i] > 0);
  return n;
}

double Coverage::percent() const { return items() == 0 ? 100.0 : 100.0 * covered() / items(); }

namespace {

std::string pad(std::string s, size_t width) { return pad_right(std::move(s), width) + " "; }

std::string count(int n) { return n > 0 ? std::to_string(n) : "0 (missing)"; }

std::string percent_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

}  // namespace

std::string Coverage::text() const {
  size_t w = 10;
  for (const auto& o : overrides_) w = std::max(w, o.size());
  for (const auto& c : criteria_) w = std::max(w, c.size());
  w = std::max<size_t>(w, 26);
  std::string out = "coverage of " + rules_ + ": " + std::to_string(covered()) + " of " + std::to_string(items()) +
                    " items, " + percent_text(percent()) + "\n";
  out += "  " + pad("override", w) + pad("matched", 12) + "reached, not matched\n";
  for (size_t i = 0; i < overrides_.size(); ++i)
    out += "  " + pad(overrides_[i], w) + pad(count(matched_[i]), 12) + count(passed_[i]) + "\n";
  out += "  " + pad("verdict band (thresholds)", w) + "tests\n";
  const char* bands[] = {"insource", "hybrid", "outsource"};
  for (size_t i = 0; i < 3; ++i) out += "  " + pad(bands[i], w) + count(bands_[i]) + "\n";
  out += "  " + pad("criterion", w) + pad("voted", 12) + "abstained\n";
  for (size_t i = 0; i < criteria_.size(); ++i)
    out += "  " + pad(criteria_[i], w) + pad(count(voted_[i]), 12) + count(abstained_[i]) + "\n";
  return out;
}

nlohmann::ordered_json Coverage::json() const {
  nlohmann::ordered_json j;
  j["rules"] = rules_;
  j["covered"] = covered();
  j["items"] = items();
  j["percent"] = percent();
  nlohmann::ordered_json o = nlohmann::ordered_json::array();
  for (size_t i = 0; i < overrides_.size(); ++i)
    o.push_back({{"id", overrides_[i]}, {"matched", matched_[i]}, {"reached_not_matched", passed_[i]}});
  j["overrides"] = std::move(o);
  j["bands"] = {{"insource", bands_[0]}, {"hybrid", bands_[1]}, {"outsource", bands_[2]}};
  nlohmann::ordered_json c = nlohmann::ordered_json::array();
  for (size_t i = 0; i < criteria_.size(); ++i)
    c.push_back({{"name", criteria_[i]}, {"voted", voted_[i]}, {"abstained", abstained_[i]}});
  j["criteria"] = std::move(c);
  return j;
}

std::vector<Coverage> merged_coverage(const std::vector<FileRun>& runs) {
  std::vector<Coverage> out;
  std::vector<std::string> keys;
  for (const FileRun& r : runs) {
    if (!r.coverage) continue;
    auto it = std::find(keys.begin(), keys.end(), r.rules_key);
    if (it == keys.end()) {
      keys.push_back(r.rules_key);
      out.push_back(*r.coverage);
    } else {
      out[static_cast<size_t>(it - keys.begin())].merge(*r.coverage);
    }
  }
  return out;
}

}  // namespace insource
