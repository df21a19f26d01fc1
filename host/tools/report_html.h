// `insource report` and `batch --report`: decisions as one self-contained
// HTML file (inline CSS and SVG, no script needed, no request to any other
// address, print styles with a page break between cases), and the same
// sections for the explorer that `insource serve` answers at `/`.
//
// The renderer reads the JSON records the other outputs write, never the
// engine's structures, so every number it shows is the number of the JSON:
// each drawn or printed value also carries its exact value in a data-
// attribute, and the document embeds the records it was made from
// (<script type="application/json" id="insource-records">), for programs and
// tests to read back.
#ifndef INSOURCE_HOST_REPORT_HTML_H_
#define INSOURCE_HOST_REPORT_HTML_H_

#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "core/case.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace insource {

// What the report says about the policy that decided.
struct ReportPolicy {
  std::string name;      // the rules' name
  std::string file;      // the rules file (or the built-in label)
  std::string revision;  // SHA-256 of the resolved rules text
  double insource = 0.2, outsource = -0.2;
};
ReportPolicy report_policy_of(const Policy& p, const std::string& revision);

// The record a case section is drawn from: `explain --format json --level
// trace` (verdict, total, rule, reason, summary, criteria with weights,
// scores, contributions, rationales and facts, the override trace, the flip
// margins) plus "margins_words" (the margins as `explain` words them) and
// "thresholds". A failed case gives its error record. A "simulation" object
// (tools/simulate_report.h's simulation_json) added by a caller is drawn too:
// probabilities with intervals, the total's quantiles and histogram, drivers.
nlohmann::ordered_json case_report_record(const Policy& p, const CaseFacts& c, const Decision& d);

// One case: a <section class="case"> (the verdict, the contribution chart
// with thresholds and margins, the criterion table, the margins in words and
// the override trace).
std::string case_section_html(const nlohmann::ordered_json& record, const ReportPolicy& policy);

// A batch summary, built one `batch` record at a time (compact or --detail,
// error records included, in output order) in bounded memory but for the
// error records, every one of which it keeps: cases per verdict, each
// criterion's score distribution (ten bins over [-1, 1]), the overrides that
// decided and how many cases each, the cases closest to a threshold (those
// the vote decided, at most `closest`) and every error record with its line.
class BatchSummary {
 public:
  BatchSummary(ReportPolicy policy, size_t closest = 10) : policy_(std::move(policy)), closest_(closest) {}
  // `line`: the record's line in the output (1-based), when the record has none.
  void add(const nlohmann::json& record, uint64_t line);
  // The numbers, as embedded in the report.
  nlohmann::json numbers() const;
  // A <section class="batch">.
  std::string html() const;

 private:
  struct Near {
    std::string id, verdict, threshold;
    double total = 0, distance = 0;
  };
  struct Error {
    uint64_t line = 0;
    std::string id, kind, message;
  };
  ReportPolicy policy_;
  size_t closest_;
  uint64_t records_ = 0, decided_ = 0;
  std::map<std::string, uint64_t> verdicts_, rules_;  // rules_: "" for the weighted vote
  std::vector<std::string> criteria_;                // in the order first met
  std::map<std::string, std::vector<uint64_t>> bins_;
  std::map<std::string, uint64_t> abstained_;
  std::vector<Near> near_;  // sorted by distance, at most closest_
  std::vector<Error> errors_;
};

// The whole file: head with the inline style sheet, the policy line, `body`,
// and `embedded_json` (a JSON text: the records, or the batch summary).
std::string report_document(const std::string& title, const ReportPolicy& policy, const std::string& body,
                            const std::string& embedded_json);

// The style sheet of the report (the explorer uses it too).
std::string_view report_css();

// Text safe inside HTML elements and attribute values.
std::string html_escape(std::string_view s);

}  // namespace insource

#endif  // INSOURCE_HOST_REPORT_HTML_H_
