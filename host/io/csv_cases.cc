#include "io/csv_cases.h"

#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>

namespace insource {

size_t csv_row_end(std::string_view text, size_t pos) {
  bool quoted = false;
  for (size_t i = pos; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '"') quoted = !quoted;  // "" inside quotes toggles twice: no change
    else if (ch == '\n' && !quoted) return i + 1;
  }
  return text.size();
}

bool split_csv_row(std::string_view row, std::vector<std::string>* cells) {
  if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
  size_t n = 0;
  size_t i = 0;
  while (true) {
    if (cells->size() <= n) cells->emplace_back();
    std::string& cell = (*cells)[n++];
    cell.clear();
    if (i < row.size() && row[i] == '"') {
      ++i;
      while (true) {
        if (i >= row.size()) return false;  // unterminated quote
        if (row[i] == '"') {
          if (i + 1 < row.size() && row[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell.push_back(row[i++]);
      }
      // Anything between the closing quote and the comma is kept, as most readers do.
      while (i < row.size() && row[i] != ',') cell.push_back(row[i++]);
    } else {
      size_t comma = row.find(',', i);
      size_t end = comma == std::string_view::npos ? row.size() : comma;
      cell.assign(row.substr(i, end - i));
      i = end;
    }
    if (i >= row.size()) break;
    ++i;  // the comma
  }
  cells->resize(n);
  return true;
}

CsvCases::CsvCases(const FactSchema& schema, std::string_view header_row) : schema_(schema) {
  if (!split_csv_row(header_row, &header_)) throw std::invalid_argument("the CSV header has an unclosed quote");
  std::set<std::string> seen;
  for (const std::string& name : header_) {
    if (!seen.insert(name).second) throw std::invalid_argument("CSV column '" + name + "' is given twice");
    if (name == "id") {
      slots_.push_back(kIdColumn);
    } else if (name == "title" || name == "description") {
      slots_.push_back(kIgnoredColumn);
    } else if (auto slot = schema.find(name)) {
      slots_.push_back(static_cast<int>(*slot));
    } else {
      std::string near = schema.suggest(name);
      throw std::invalid_argument("CSV column '" + name + "' is not a known fact" +
                                  (near.empty() ? "" : " (did you mean '" + near + "'?)") +
                                  "; columns are id, title, description and dotted fact names");
    }
  }
}

bool CsvCases::read_row(std::string_view row, CaseFacts* c, std::string* error) {
  c->id.clear();
  c->facts.assign(schema_.size(), make_absent());
  if (!split_csv_row(row, &cells_)) {
    *error = "a quote is not closed";
    return false;
  }
  // Read the id first, so that every later message can name the case.
  for (size_t i = 0; i < cells_.size() && i < slots_.size(); ++i)
    if (slots_[i] == kIdColumn) c->id = cells_[i];
  if (cells_.size() != slots_.size()) {
    *error = "the row has " + std::to_string(cells_.size()) + " cells but the header has " +
             std::to_string(slots_.size()) + " columns";
    return false;
  }
  for (size_t i = 0; i < cells_.size(); ++i) {
    int slot = slots_[i];
    const std::string& cell = cells_[i];
    if (slot < 0 || cell.empty()) continue;
    const FactInfo& info = schema_.at(static_cast<uint32_t>(slot));
    insource_value v = make_absent();
    switch (info.decl.type) {
      case Type::kNumber: {
        double d = 0;
        auto r = std::from_chars(cell.data(), cell.data() + cell.size(), d);
        if (r.ec == std::errc::result_out_of_range) d = HUGE_VAL;
        else if (r.ec != std::errc() || r.ptr != cell.data() + cell.size()) {
          *error = "fact " + info.decl.name + " must be a number, not \"" + cell + "\"";
          return false;
        }
        v = make_number(d);
        break;
      }
      case Type::kBool:
        if (cell == "true" || cell == "TRUE" || cell == "True") v = make_bool(true);
        else if (cell == "false" || cell == "FALSE" || cell == "False") v = make_bool(false);
        else {
          *error = "fact " + info.decl.name + " must be a bool (true or false), not \"" + cell + "\"";
          return false;
        }
        break;
      case Type::kString: v = make_string(cell); break;
      case Type::kAbsent: break;
    }
    if (auto problem = schema_.check(static_cast<uint32_t>(slot), v)) {
      *error = "fact " + info.decl.name + " " + *problem;
      return false;
    }
    c->facts[static_cast<size_t>(slot)] = v;
  }
  return true;
}

}  // namespace insource
