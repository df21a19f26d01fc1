// The JSON lines of `insource batch`, written without iostreams or a JSON
// library: the compact record, and the error record that takes a failed
// line's place. Everything constant (keys, verdicts, rule ids) is rendered
// once per policy.
#ifndef INSOURCE_HOST_RECORD_FORMAT_H_
#define INSOURCE_HOST_RECORD_FORMAT_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/case.h"
#include "policy/evaluator.h"
#include "policy/policy.h"

namespace insource {

// Appends the shortest text that reads back as the same double.
void append_number(std::string* out, double d);

// Appends d rounded to 12 decimal places, without trailing zeros (0.25,
// -0.333333333333, 1). The compact batch record uses it: an error below
// 5e-13 is far inside the 1e-9 allowance of docs/criteria.md, and it costs a tenth of the shortest
// round-trip form (six of those were a quarter of the time of a case).
// `decide` and `batch --detail` keep full round-trip precision.
void append_fixed12(std::string* out, double d);

// The same at `p`, with room for kFixed12Room bytes; returns the end.
inline constexpr size_t kFixed12Room = 40;
char* write_fixed12(char* p, double d);

class CompactFormatter {
 public:
  explicit CompactFormatter(const Policy& p);

  // {"id","verdict","total","rule","scores":{"cost":0.12,...,"legal":null}} and a newline;
  // total and scores to 12 decimal places (append_fixed12); then, only when a
  // plugin faulted without failing the case, "faults":{"cost":{"plugin","on_error","message"}}.
  void append(std::string* out, const CaseFacts& c, const Decision& d) const;

  // The same record written at `p`, which has room for bound(c) bytes; returns
  // the end. Only for a decision without faults (d.faults == 0).
  size_t bound(const CaseFacts& c) const { return fixed_bound_ + 6 * c.id.size(); }
  char* write(char* p, const CaseFacts& c, const Decision& d) const;

 private:
  // A constant piece of the record, zero-padded to whole 16-byte blocks so
  // that it is copied a block at a time (the bound leaves room for the spill).
  struct Piece {
    std::string text;
    size_t length = 0;
  };
  static Piece piece(std::string_view s);
  static char* put(char* p, const Piece& piece);

  std::vector<Piece> verdict_pieces_, rule_pieces_, criterion_pieces_;
  Piece rule_null_;
  size_t fixed_bound_ = 0;

  std::vector<std::string> verdicts_;   // ,"verdict":"insource","total":
  std::vector<std::string> rules_;      // ,"rule":"back-office-stays-in-house"
  std::vector<std::string> criteria_;   // ,"scores":{"cost":  then  ,"control":
  std::vector<std::string> faults_;     // "cost":{"plugin":"...","on_error":"abstain","message":
};

// {"id"?,"line":N,"error":{"kind","message"}} and a newline; the id only when known.
void append_error_record(std::string* out, std::string_view id, uint64_t line, std::string_view kind,
                         std::string_view message, int column = 0);

}  // namespace insource

#endif  // INSOURCE_HOST_RECORD_FORMAT_H_
