// One case: an id and its facts, as values by slot of a FactSchema.
// CaseFacts, not Case: the SDK's C++ wrapper has insource::Case (a plugin's
// view of a case), and host and SDK types never share a qualified name.
#ifndef INSOURCE_HOST_CASE_H_
#define INSOURCE_HOST_CASE_H_

#include <deque>
#include <string>
#include <vector>

#include "core/uncertainty.h"
#include "core/value.h"

namespace insource {

struct CaseFacts {
  CaseFacts() = default;
  CaseFacts(CaseFacts&&) = default;  // a deque's move keeps its elements where they are
  CaseFacts& operator=(CaseFacts&&) = default;
  CaseFacts(const CaseFacts&) = delete;  // the facts point into this case's own strings
  CaseFacts& operator=(const CaseFacts&) = delete;

  std::string id;
  std::string title;
  std::string source;                // where it came from, for messages: "file.yaml" or "file.jsonl:12"
  std::vector<insource_value> facts;  // by slot; kAbsent where the case says nothing
  // Facts given as distributions (issue 13), in slot order; their slots hold
  // the most likely value. Only `decide --simulate` (and explain, serve with
  // simulate) decide such a case; every other front end refuses it.
  std::vector<UncertainFact> uncertain;

  // Stores a string for the case's lifetime and returns a view of it.
  std::string_view keep(std::string_view s) { return strings_.emplace_back(s); }
  void clear_strings() { strings_.clear(); }

 private:
  std::deque<std::string> strings_;  // a deque: views into it stay valid as it grows
};

}  // namespace insource

#endif  // INSOURCE_HOST_CASE_H_
