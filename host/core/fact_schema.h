// The facts a policy knows: those its plugins declare and those its rules
// declare under `facts`. Each fact gets a slot; a case is an array of values
// by slot, so nothing is looked up by name once a case has been read.
#ifndef INSOURCE_HOST_FACT_SCHEMA_H_
#define INSOURCE_HOST_FACT_SCHEMA_H_

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/fact_decl.h"
#include "core/value.h"

namespace insource {

// Hashing that lets a std::string-keyed map be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct FactInfo {
  FactDecl decl;
  std::string declared_by;  // "plugin builtin-cost" or "rules default.yaml:4:3"
  insource_value fallback = make_absent();  // points into decl.fallback_string
};

class FactSchema {
 public:
  FactSchema() = default;
  FactSchema(const FactSchema&) = delete;
  FactSchema& operator=(const FactSchema&) = delete;

  // Adds a fact, or checks it against the one already there. Returns an error
  // message when the two disagree (type, default or allowed values).
  std::optional<std::string> add(const FactDecl& decl, const std::string& declared_by);

  std::optional<uint32_t> find(std::string_view name) const;
  const FactInfo& at(uint32_t slot) const { return facts_[slot]; }
  size_t size() const { return facts_.size(); }

  // The known name closest to `name`, for "did you mean", or empty.
  std::string suggest(std::string_view name) const;

  // Checks a value given for a fact against its type, range and allowed
  // values; returns the problem, or nullopt when the value is fine.
  std::optional<std::string> check(uint32_t slot, const insource_value& v) const;

 private:
  std::deque<FactInfo> facts_;  // a deque: fallbacks point into stable elements
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> by_name_;
};

// Levenshtein-close candidate for "did you mean", or empty when none is close.
std::string closest_name(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace insource

#endif  // INSOURCE_HOST_FACT_SCHEMA_H_
