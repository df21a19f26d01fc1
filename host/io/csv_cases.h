// Cases from CSV (RFC 4180): a header row of column names, `id` for the case
// id and dotted fact names for the rest (`cost.hours`), then one case a row.
// An empty cell is an absent fact; a cell is typed by its fact's type.
#ifndef INSOURCE_HOST_CSV_CASES_H_
#define INSOURCE_HOST_CSV_CASES_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/case.h"
#include "core/fact_schema.h"

namespace insource {

// The end of the CSV row that starts at `pos` (the offset just past its
// newline, or text.size()); newlines inside quotes belong to the row.
size_t csv_row_end(std::string_view text, size_t pos);

class CsvCases {
 public:
  // Reads the header row. Throws std::invalid_argument naming an unknown
  // column (with "did you mean") or a column given twice.
  CsvCases(const FactSchema& schema, std::string_view header_row);

  // Reads one row (without its newline) into `c`; false with `error` when a
  // cell does not fit its fact. String facts point into this object until
  // the next call.
  bool read_row(std::string_view row, CaseFacts* c, std::string* error);

 private:
  static constexpr int kIdColumn = -1;
  static constexpr int kIgnoredColumn = -2;

  const FactSchema& schema_;
  std::vector<int> slots_;  // per column: a fact slot, kIdColumn or kIgnoredColumn
  std::vector<std::string> header_;
  std::vector<std::string> cells_;
};

// Splits one row into cells, unquoting; false when a quote is not closed.
bool split_csv_row(std::string_view row, std::vector<std::string>* cells);

}  // namespace insource

#endif  // INSOURCE_HOST_CSV_CASES_H_
