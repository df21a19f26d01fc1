// One case: an id and its facts, as values by slot of a FactSchema.
#ifndef INSOURCE_HOST_CASE_H_
#define INSOURCE_HOST_CASE_H_

#include <deque>
#include <string>
#include <vector>

#include "core/value.h"

namespace insource {

struct Case {
  Case() = default;
  Case(Case&&) = default;  // a deque's move keeps its elements where they are
  Case& operator=(Case&&) = default;
  Case(const Case&) = delete;  // the facts point into this case's own strings
  Case& operator=(const Case&) = delete;

  std::string id;
  std::string title;
  std::string source;                // where it came from, for messages: "file.yaml" or "file.jsonl:12"
  std::vector<insource_value> facts;  // by slot; kAbsent where the case says nothing

  // Stores a string for the case's lifetime and returns a view of it.
  std::string_view keep(std::string_view s) { return strings_.emplace_back(s); }
  void clear_strings() { strings_.clear(); }

 private:
  std::deque<std::string> strings_;  // a deque: views into it stay valid as it grows
};

}  // namespace insource

#endif  // INSOURCE_HOST_CASE_H_
