// The fast path for JSON cases (batch input): simdjson On-Demand straight
// into a CaseFacts's slots. Fact names are resolved through a trie built once from
// the schema, so a nested key ("cost" then "hours") and a flat one
// ("cost.hours") cost a few short comparisons and no allocation.
#ifndef INSOURCE_HOST_JSON_CASE_PARSER_H_
#define INSOURCE_HOST_JSON_CASE_PARSER_H_

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/case.h"
#include "core/fact_schema.h"

namespace insource {

// The padding simdjson needs readable after a JSON text.
inline constexpr size_t kJsonPadding = simdjson::SIMDJSON_PADDING;

class JsonCaseParser {
 public:
  enum class Result { kOk, kParseError, kCaseError };

  explicit JsonCaseParser(const FactSchema& schema);

  // Parses one case object from data[0, len); `capacity` bytes from `data`
  // are readable (capacity >= len + kJsonPadding). On kOk, `c` holds the case;
  // its string facts point into this parser and stay valid until the next
  // parse(). Otherwise `error` says what is wrong (and c->id holds the id if it
  // was read before the problem).
  Result parse(const char* data, size_t len, size_t capacity, CaseFacts* c, std::string* error);

  // Whether a fact may be given as a distribution (issue 13: a map where a
  // number, level or bool is expected), read into CaseFacts::uncertain. Off
  // by default: batch decides sure values only and refuses such a case (its
  // fast path never looks: a map fails it and the careful path says why).
  void accept_distributions(bool on) { distributions_ = on; }

  // A problem with a case after the first: on kCaseError, `error` holds the
  // first one and these the rest, so one run shows every bad fact. `offset`
  // is the byte (from `data`) where its key starts, for its line.
  struct Problem {
    size_t offset;
    std::string message;
  };
  const std::vector<Problem>& more_problems() const { return more_; }
  // Where the first problem's key starts (0: the case itself is the problem).
  size_t first_problem_offset() const { return first_offset_; }

 private:
  // A trie node: the segments below it, and the fact slot it names (or -1).
  struct Node {
    struct Edge {
      std::string segment;  // zero-padded to whole 8-byte words
      uint32_t length;
      uint32_t node;
      uint64_t word0;  // the segment's first (up to) 8 bytes, as a little-endian word
      uint64_t mask0;  // the bytes of word0 that belong to the segment
      bool raw_ok;     // no quote or backslash: raw JSON text that spells it is it
    };
    std::vector<Edge> children;
    int32_t slot = -1;
  };

  uint32_t child(uint32_t node, std::string_view segment) const;  // 0 = none (the root is never a child)
  // The node a key names below `node`, read raw from the JSON text (`key`
  // points after its opening quote), trying the children from *hint on
  // (keys mostly come in the declared order: the one after the last match is
  // the likely next); updates *hint. 0: no such fact, or a key this fast
  // matcher does not read (escapes): the careful path decides.
  uint32_t raw_child(uint32_t node, const char* key, uint32_t* hint) const;
  bool parse_fast(const char* data, size_t len, size_t capacity, CaseFacts* c);
  bool walk_fast(simdjson::ondemand::object& obj, uint32_t node, int depth, CaseFacts* c);
  Result diagnose(const char* data, size_t len, size_t capacity, CaseFacts* c, std::string* error);
  Result walk(simdjson::ondemand::object obj, uint32_t node, int depth, CaseFacts* c, std::string* error);
  Result read_value(simdjson::ondemand::value& v, simdjson::ondemand::json_type t, uint32_t slot, const char* at,
                    CaseFacts* c, std::string* error);
  static bool allowed(const std::vector<std::string>& values, std::string_view s);
  Result read_distribution_value(simdjson::ondemand::value& v, uint32_t slot, const char* at, CaseFacts* c,
                                 std::string* error);
  // Records a problem with one fact and lets the walk go on: the first one
  // goes to *error, the others to more_.
  void note_problem(std::string message, const char* at, std::string* error);

  // What a value of a slot must be, for the inline check of the common case.
  struct FastCheck {
    uint32_t type;
    bool min_exclusive;
    double min, max;
    const std::vector<std::string>* allowed;  // null: any string
    uint32_t allowed_first, allowed_count;    // the same values, padded, in allowed_
  };
  struct Padded {
    std::string text;  // zero-padded to whole 8-byte words
    uint32_t length;
    uint64_t word0, mask0;  // as Node::Edge
    bool raw_ok;
  };
  // The allowed value a raw JSON string (after its opening quote) is, or null.
  const Padded* allowed_raw(const FastCheck& fc, const char* raw) const;
  std::string path_name(std::string_view last) const;

  const FactSchema& schema_;
  std::vector<Node> nodes_;
  std::vector<FastCheck> checks_;
  std::vector<Padded> allowed_;
  simdjson::ondemand::parser parser_;
  std::vector<std::string_view> path_;  // the segments above the current object, for messages
  // Per trie node, the parse that last met it as an object: a group given
  // twice ("cost": {...}, "cost": {...}) is refused as a duplicate key.
  std::vector<uint32_t> group_seen_;
  uint32_t generation_ = 0;
  size_t fact_count_ = 0;
  const char* data_ = nullptr;  // of the parse being diagnosed
  bool fact_failed_ = false;    // a note_problem() in this parse
  bool distributions_ = false;  // accept_distributions()
  size_t first_offset_ = 0;
  std::vector<Problem> more_;
};

// Appends `s` as a JSON string (quoted and escaped) to `out`.
void append_json_string(std::string* out, std::string_view s);

}  // namespace insource

#endif  // INSOURCE_HOST_JSON_CASE_PARSER_H_
