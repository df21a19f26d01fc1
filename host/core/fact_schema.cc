#include "core/fact_schema.h"

#include <algorithm>
#include <cmath>

namespace insource {

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string closest_name(std::string_view name, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  size_t best_d = SIZE_MAX;
  for (std::string_view c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best_d) best_d = d, best = c;
  }
  // Close enough to be a typo: a few edits, relative to the length.
  size_t limit = std::max<size_t>(2, name.size() / 3);
  return best_d <= limit ? std::string(best) : std::string();
}

std::optional<std::string> FactSchema::add(const FactDecl& decl, const std::string& declared_by) {
  if (auto slot = find(decl.name)) {
    const FactInfo& have = facts_[*slot];
    if (have.decl.type != decl.type)
      return "fact " + decl.name + " is a " + type_name(decl.type) + " here but a " + type_name(have.decl.type) +
             " in " + have.declared_by;
    if (decl.has_fallback && have.decl.has_fallback &&
        (decl.fallback_number != have.decl.fallback_number || decl.fallback_bool != have.decl.fallback_bool ||
         decl.fallback_string != have.decl.fallback_string))
      return "fact " + decl.name + " has another default in " + have.declared_by;
    return std::nullopt;
  }
  uint32_t slot = static_cast<uint32_t>(facts_.size());
  FactInfo& info = facts_.emplace_back();
  info.decl = decl;
  info.declared_by = declared_by;
  if (decl.has_fallback) {
    switch (decl.type) {
      case Type::kNumber: info.fallback = make_number(decl.fallback_number); break;
      case Type::kBool: info.fallback = make_bool(decl.fallback_bool); break;
      case Type::kString: info.fallback = make_string(info.decl.fallback_string); break;
      case Type::kAbsent: break;
    }
  }
  by_name_.emplace(decl.name, slot);
  return std::nullopt;
}

std::optional<uint32_t> FactSchema::find(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::string FactSchema::suggest(std::string_view name) const {
  std::vector<std::string_view> names;
  names.reserve(facts_.size());
  for (const auto& f : facts_) names.push_back(f.decl.name);
  return closest_name(name, names);
}

std::optional<std::string> FactSchema::check(uint32_t slot, const insource_value& v) const {
  const FactDecl& d = facts_[slot].decl;
  if (type_of(v) != d.type) {
    return std::string("must be a ") + type_name(d.type) + ", not the " + type_name(type_of(v)) + " " + describe(v);
  }
  if (d.type == Type::kNumber) {
    if (!std::isfinite(v.number)) return "must be a finite number";
    if (d.min_exclusive ? !(v.number > d.min) : !(v.number >= d.min))
      return "must be " + std::string(d.min_exclusive ? "> " : ">= ") + format_number(d.min) + ", not " +
             format_number(v.number);
    if (!(v.number <= d.max)) return "must be <= " + format_number(d.max) + ", not " + format_number(v.number);
  } else if (d.type == Type::kString && !d.allowed.empty()) {
    if (std::find(d.allowed.begin(), d.allowed.end(), string_of(v)) == d.allowed.end())
      return describe(v) + " is not one of " + join(d.allowed);
  }
  return std::nullopt;
}

}  // namespace insource
