#include "core/fact_schema.h"

#include <algorithm>
#include <cctype>
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

// A name as a person may mean it: case, '_', '-' and spaces dropped, so
// that "backoffice", "Back-Office" and "back_office" are one name.
std::string folded(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '_' && c != '-' && c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A bool written the way YAML 1.1 or a spreadsheet would: the hint to give.
bool looks_like_bool(const insource_value& v) {
  if (type_of(v) == Type::kNumber) return v.number == 0 || v.number == 1;
  if (type_of(v) != Type::kString) return false;
  std::string f = folded(string_of(v));
  for (const char* w : {"yes", "no", "y", "n", "on", "off", "true", "false", "1", "0"})
    if (f == w) return true;
  return false;
}

}  // namespace

std::string closest_name(std::string_view name, const std::vector<std::string_view>& candidates) {
  const std::string want = folded(name);
  for (std::string_view c : candidates)
    if (folded(c) == want) return std::string(c);
  std::string_view best;
  size_t best_d = SIZE_MAX;
  for (std::string_view c : candidates) {
    size_t d = edit_distance(want, folded(c));
    if (d < best_d) best_d = d, best = c;
  }
  // Close enough to be a typo: a few edits, relative to the length.
  size_t limit = std::max<size_t>(2, name.size() / 3);
  return best_d <= limit ? std::string(best) : std::string();
}

namespace {

std::string default_text(const FactDecl& d) {
  if (!d.has_fallback) return "no default";
  switch (d.type) {
    case Type::kNumber: return "the default " + format_number(d.fallback_number);
    case Type::kBool: return std::string("the default ") + (d.fallback_bool ? "true" : "false");
    case Type::kString: return "the default \"" + d.fallback_string + "\"";
    case Type::kAbsent: break;
  }
  return "no default";
}

bool same_default(const FactDecl& a, const FactDecl& b) {
  if (a.has_fallback != b.has_fallback) return false;
  if (!a.has_fallback) return true;
  switch (a.type) {
    case Type::kNumber: return a.fallback_number == b.fallback_number;
    case Type::kBool: return a.fallback_bool == b.fallback_bool;
    case Type::kString: return a.fallback_string == b.fallback_string;
    case Type::kAbsent: break;
  }
  return true;
}

std::string levels_text(const std::vector<std::string>& allowed) {
  if (allowed.empty()) return "any value";
  std::string out = "the values ";
  for (size_t i = 0; i < allowed.size(); ++i) out += (i ? ", " : "") + allowed[i];
  return out;
}

std::string bounds_text(const FactDecl& d) {
  if (d.min == -HUGE_VAL && d.max == HUGE_VAL) return "no bounds";
  return std::string(d.min_exclusive ? "(" : "[") + (d.min == -HUGE_VAL ? "-inf" : format_number(d.min)) + ", " +
         (d.max == HUGE_VAL ? "inf" : format_number(d.max)) + "]";
}

}  // namespace

std::optional<std::string> FactSchema::add(const FactDecl& decl, const std::string& declared_by, bool complete) {
  if (auto slot = find(decl.name)) {
    // Two declarations of one fact must mean the same thing: otherwise which
    // one wins depends on the order files are read in, and verdicts with it.
    const FactInfo& have = facts_[*slot];
    auto clash = [&](const std::string& what, const std::string& here, const std::string& there) {
      return "fact " + decl.name + " is declared with another " + what + " by " + declared_by + " (" + here +
             ") than by " + have.declared_by + " (" + there + "); the declarations of one fact must agree";
    };
    if (have.decl.type != decl.type)
      return "fact " + decl.name + " is a " + type_name(decl.type) + " here but a " + type_name(have.decl.type) +
             " in " + have.declared_by + " (here: " + declared_by + "); the declarations of one fact must agree";
    std::vector<std::string> a = decl.allowed, b = have.decl.allowed;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    // A rules file that lists no values says nothing about them.
    const bool says_levels = (complete || !decl.allowed.empty()) && (have.complete || !have.decl.allowed.empty());
    if (says_levels && a != b) return clash("set of allowed values", levels_text(decl.allowed), levels_text(have.decl.allowed));
    if (complete && have.complete) {  // a rules file declares neither bounds nor a default
      if (decl.min != have.decl.min || decl.max != have.decl.max || decl.min_exclusive != have.decl.min_exclusive)
        return clash("range", bounds_text(decl), bounds_text(have.decl));
      if (!same_default(decl, have.decl)) return clash("default", default_text(decl), default_text(have.decl));
    }
    return std::nullopt;
  }
  uint32_t slot = static_cast<uint32_t>(facts_.size());
  FactInfo& info = facts_.emplace_back();
  info.decl = decl;
  info.declared_by = declared_by;
  info.complete = complete;
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
    std::string msg = std::string("must be a ") + type_name(d.type) + ", not the " + type_name(type_of(v)) + " " + describe(v);
    if (d.type == Type::kBool && looks_like_bool(v)) msg += " (write true or false)";
    return msg;
  }
  if (d.type == Type::kNumber) {
    if (!std::isfinite(v.number)) return "must be a finite number";
    if (d.min_exclusive ? !(v.number > d.min) : !(v.number >= d.min))
      return "must be " + std::string(d.min_exclusive ? "> " : ">= ") + format_number(d.min) + ", not " +
             format_number(v.number);
    if (!(v.number <= d.max)) return "must be <= " + format_number(d.max) + ", not " + format_number(v.number);
  } else if (d.type == Type::kString && !d.allowed.empty()) {
    if (std::find(d.allowed.begin(), d.allowed.end(), string_of(v)) == d.allowed.end())
    {
      std::string msg = describe(v) + " is not one of " + join(d.allowed);
      std::vector<std::string_view> levels(d.allowed.begin(), d.allowed.end());
      std::string near = closest_name(string_of(v), levels);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      return msg;
    }
  }
  return std::nullopt;
}

}  // namespace insource
