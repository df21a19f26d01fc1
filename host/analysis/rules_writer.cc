#include "analysis/rules_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <numeric>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace insource {

std::vector<std::string> round_weights_to_one(const std::vector<double>& weights, int decimals) {
  double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  for (int d = decimals; d <= 9; ++d) {
    const long long scale = static_cast<long long>(std::llround(std::pow(10.0, d)));
    std::vector<long long> units(weights.size());
    std::vector<std::pair<double, size_t>> remainders;
    long long given = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      double exact = weights[i] / sum * static_cast<double>(scale);
      units[i] = static_cast<long long>(std::floor(exact));
      given += units[i];
      remainders.emplace_back(exact - std::floor(exact), i);
    }
    // Largest remainders first; ties to the earlier criterion.
    std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t k = 0; given < scale && k < remainders.size(); ++k, ++given) ++units[remainders[k].second];
    bool zero = false;
    for (size_t i = 0; i < weights.size(); ++i) zero = zero || (units[i] == 0 && weights[i] > 0);
    if (zero && d < 9) continue;
    std::vector<std::string> out;
    for (long long u : units) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%lld.%0*lld", u / scale, d, u % scale);
      out.push_back(buf);
    }
    return out;
  }
  return {};
}

std::string round_trip_number(double v) {
  char buf[40];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string extending_rules_text(const ExtendingRules& r, const std::filesystem::path& parent,
                                 const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  // Written over its own parent, the file would extend itself.
  std::error_code ec;
  if (fs::weakly_canonical(out, ec) == fs::weakly_canonical(parent, ec))
    throw std::runtime_error("not writing '" + out.string() + "': it is the rules file it would extend; write another file");
  fs::path dir = fs::absolute(out).parent_path();
  fs::path rel = fs::absolute(parent).lexically_normal().lexically_relative(dir.lexically_normal());
  // Relative, so the pair can move together (a checkout); absolute when the
  // two share no folder but the root, where "../../.." would only mislead.
  auto first = [](const fs::path& p) { return p.begin() == p.end() ? fs::path() : *std::next(p.begin()); };
  if (rel.empty() || first(fs::absolute(parent).lexically_normal()) != first(dir.lexically_normal()))
    rel = fs::absolute(parent).lexically_normal();
  std::string t;
  for (const std::string& c : r.comments) t += "# " + c + "\n";
  t += "insource: 1\n";
  // A JSON string is a YAML double-quoted scalar: quotes and backslashes escaped.
  if (!r.name.empty()) t += "name: " + nlohmann::json(r.name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  t += "extends: " + rel.generic_string() + "\n";
  t += "criteria:\n";
  size_t width = 0;
  for (const auto& [name, w] : r.weights) width = std::max(width, name.size());
  for (const auto& [name, w] : r.weights)
    t += "  " + name + ":" + std::string(width - name.size() + 1, ' ') + "{weight: " + w + "}\n";
  if (r.thresholds) {
    t += "thresholds: {insource: " + round_trip_number(r.thresholds->insource) +
         ", outsource: " + round_trip_number(r.thresholds->outsource) + "}\n";
  }
  return t;
}

void write_text_file(const std::filesystem::path& out, const std::string& text) {
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error("cannot write '" + out.string() + "'");
  f << text;
  f.close();
  if (!f) throw std::runtime_error("cannot write '" + out.string() + "'");
}

}  // namespace insource
