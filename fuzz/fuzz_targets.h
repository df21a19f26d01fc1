// The bodies of the libFuzzer targets (fuzz/*_fuzz.cc), shared with the
// regression test (tests/fuzz_regression_test.cc) so that a saved input goes
// through exactly the engine calls the fuzzer made.
//
// Each run_* function feeds one input to the engine and returns "" when the
// engine behaved: a result, or one of the errors it documents (RulesError,
// PluginError, ConditionError, a case error, an error record). Any other
// outcome it can see (a broken invariant: a lost or extra batch record, a
// case accepted with a value its schema refuses, an error without a
// message, ...) is returned as a message; the fuzzer aborts on it, the test
// fails on it. An exception of any other type propagates (the fuzzer reports
// it as a crash). Crashes, UB, leaks and hangs are the sanitizers' and
// libFuzzer's to report.
#ifndef INSOURCE_FUZZ_FUZZ_TARGETS_H_
#define INSOURCE_FUZZ_FUZZ_TARGETS_H_

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include "service/batch.h"
#include "io/case_reader.h"
#include "core/condition.h"
#include "policy/evaluator.h"
#include "core/fact_schema.h"
#include "io/json_case_parser.h"
#include "io/json_text.h"
#include "plugin_host/plugin_loader.h"
#include "policy/policy.h"
#include "io/report.h"
#include "policy/rules.h"
#include "core/source_pos.h"
#ifndef INSOURCE_FUZZ_HAS_STATIC_CHECKS
#define INSOURCE_FUZZ_HAS_STATIC_CHECKS 0
#endif
#if INSOURCE_FUZZ_HAS_STATIC_CHECKS
#include "tools/static_checks.h"
#endif

namespace insource::fuzz {

// What every target needs, made once per process.
struct Env {
  PluginSet plugins;                       // the built-in plugins
  std::shared_ptr<const Policy> policy;    // the default policy over them
  std::filesystem::path rules_base_dir;    // where `extends` of fuzzed rules resolves
  std::string sample_case;                 // a valid case of the default policy (YAML)
};

inline std::string read_whole_file(const std::filesystem::path& p) {
  std::string out;
  FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// Loads the plugins in `plugin_dir` and the default policy; `source_dir` is
// the repository (for the rules fixtures `extends` may name).
inline std::unique_ptr<Env> make_env(const std::string& plugin_dir, const std::string& source_dir) {
  auto env = std::make_unique<Env>();
  env->plugins = load_plugins({plugin_dir});
  if (env->plugins.plugins.empty())
    throw PluginError("no plugin found in " + plugin_dir + " (build insource_builtin_plugins first)");
  env->policy = load_policy("", env->plugins);
  env->rules_base_dir = std::filesystem::path(source_dir) / "tests" / "fixtures" / "rules" / "good";
  env->sample_case = read_whole_file(std::filesystem::path(source_dir) / "examples" / "cases" / "candy-launch.yaml");
  return env;
}

// ---------------------------------------------------------------------------
// Small checks shared by the targets.

// Every non-absent fact of an accepted case must be one its schema accepts.
inline std::string check_case_facts(const FactSchema& schema, const CaseFacts& c, std::string_view where) {
  if (c.facts.size() != schema.size())
    return std::string(where) + ": case '" + c.id + "' has " + std::to_string(c.facts.size()) + " fact slots, schema " +
           std::to_string(schema.size());
  for (uint32_t slot = 0; slot < c.facts.size(); ++slot) {
    const insource_value& v = c.facts[slot];
    if (v.type == INSOURCE_ABSENT) continue;
    if (v.type != INSOURCE_NUMBER && v.type != INSOURCE_STRING && v.type != INSOURCE_BOOL)
      return std::string(where) + ": case '" + c.id + "' fact slot " + std::to_string(slot) + " has type " +
             std::to_string(v.type);
    if (auto problem = schema.check(slot, v))
      return std::string(where) + ": case '" + c.id + "' was accepted with fact " + schema.at(slot).decl.name + " = " +
             describe(v) + " that the schema refuses: " + *problem;
  }
  return {};
}

// While a finding is open, INSOURCE_FUZZ_SKIP_KNOWN=1 lets the fuzzer go
// past it: inputs that would only hit it again are skipped. Off by default,
// and never in the regression test.
inline bool skip_known_findings() {
  static const bool on = [] {
    const char* v = std::getenv("INSOURCE_FUZZ_SKIP_KNOWN");
    return v && std::string_view(v) == "1";
  }();
  return on;
}

// Decides an accepted case and renders it as `decide` would (JSON and text).
inline std::string decide_and_render(const std::shared_ptr<const Policy>& policy, Evaluator* evaluator, const CaseFacts& c,
                                     std::string_view where) {
  Decision d;
  evaluator->decide(c, &d, true);
  if (d.failed) {
    if (d.error.empty()) return std::string(where) + ": a failed decision without an error message";
    return {};
  }
  if (d.criteria.size() != policy->criteria().size())
    return std::string(where) + ": decision has " + std::to_string(d.criteria.size()) + " criteria, policy " +
           std::to_string(policy->criteria().size());
  // As `decide --format json` writes it (json_text: invalid UTF-8 from the
  // rules' free text becomes U+FFFD; finding 2 was a strict dump() here).
  // The case itself must be valid UTF-8 by now: the readers refuse others.
  if (!simdjson::validate_utf8(c.id.data(), c.id.size()))
    return std::string(where) + ": case id '" + c.id + "' is not valid UTF-8 but was accepted";
  (void)json_text(decision_json(*policy, c, d));
  (void)decision_text(*policy, c, d);
  return {};
}

// The resolver Policy::compile gives conditions (facts, score.<criterion>, total).
inline NameResolver resolver_of(const Policy& p) {
  return [&p](std::string_view name, std::string* suggestion) -> std::optional<NameInfo> {
    NameInfo info;
    if (name == "total") {
      info.kind = NameInfo::Kind::kTotal;
      return info;
    }
    constexpr std::string_view kScore = "score.";
    if (name.substr(0, kScore.size()) == kScore) {
      int i = p.criterion_index(name.substr(kScore.size()));
      if (i >= 0) {
        info.kind = NameInfo::Kind::kScore;
        info.index = static_cast<uint32_t>(i);
        return info;
      }
    } else if (auto slot = p.schema().find(name)) {
      const FactInfo& f = p.schema().at(*slot);
      info.kind = NameInfo::Kind::kFact;
      info.type = f.decl.type;
      info.index = *slot;
      info.fallback = f.fallback;
      info.allowed = f.decl.allowed;
      return info;
    }
    if (suggestion) *suggestion = p.schema().suggest(name);
    return std::nullopt;
  };
}

// Reads bytes from a fuzz input, deterministically, 0 once it runs out.
class ByteSource {
 public:
  ByteSource(const uint8_t* data, size_t size) : p_(data), left_(size) {}
  uint8_t byte() {
    if (left_ == 0) return 0;
    --left_;
    return *p_++;
  }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
    return v;
  }
  double raw_double() {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  std::string_view bytes(size_t n) {
    n = std::min(n, left_);
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    left_ -= n;
    return s;
  }
  size_t left() const { return left_; }

 private:
  const uint8_t* p_;
  size_t left_;
};

// ---------------------------------------------------------------------------
// 1. Rules loader: YAML rules text -> read_rules_text -> Policy::compile
// against the built-in plugins -> static checks -> one decision.

// Known finding 1 (rules.cc read_facts): a fact written as a map without
// `type` throws YAML::InvalidNode out of read_rules_text.
inline bool hits_fact_map_without_type(const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) return false;
    const YAML::Node facts = root["facts"];
    if (!facts || !facts.IsMap()) return false;
    for (auto it = facts.begin(); it != facts.end(); ++it) {
      const YAML::Node v = it->second;
      if (v.IsMap() && !v["type"]) return true;
    }
  } catch (...) {
  }
  return false;
}

inline std::string run_rules_loader(const Env& env, const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (skip_known_findings() && hits_fact_map_without_type(text)) return {};
  RulesDoc doc;
  try {
    doc = read_rules_text(text, "fuzz.yaml", env.rules_base_dir);
  } catch (const RulesError& e) {
    if (e.diagnostics().empty()) return "RulesError from read_rules_text without a diagnostic";
    for (const auto& d : e.diagnostics()) (void)d.str();
    return {};
  }
  std::shared_ptr<const Policy> policy;
  try {
    policy = Policy::compile(std::move(doc), env.plugins);
  } catch (const RulesError& e) {
    if (e.diagnostics().empty()) return "RulesError from Policy::compile without a diagnostic";
    for (const auto& d : e.diagnostics()) (void)d.str();
    return {};
  } catch (const PluginError& e) {
    if (std::strlen(e.what()) == 0) return "PluginError without a message";
    return {};
  }
  if (!policy) return "Policy::compile returned null";
#if INSOURCE_FUZZ_HAS_STATIC_CHECKS  // `insource check` (see fuzz/CMakeLists.txt for clang < 16)
  for (const auto& d : static_checks(*policy)) (void)d.str();
  (void)total_range(*policy);
#endif
  // One case through the new policy (it may well not read against its schema).
  Evaluator evaluator(policy);
  for (CaseInput& in : read_cases(env.sample_case, "candy-launch.yaml", policy->schema())) {
    if (!in.value) {
      if (in.error.empty()) return "a case was refused without an error message";
      continue;
    }
    if (auto e = check_case_facts(policy->schema(), *in.value, "rules"); !e.empty()) return e;
    if (auto e = decide_and_render(policy, &evaluator, *in.value, "rules"); !e.empty()) return e;
  }
  return {};
}

// ---------------------------------------------------------------------------
// 2. Conditions: the text up to the first NUL byte is compiled against the
// default policy's names; the bytes after it make a few fact assignments
// (and scores, votes, totals) on which it is evaluated, and traced.

inline insource_value fuzz_fact(const FactInfo& f, ByteSource& in, std::vector<std::string>& strings) {
  uint8_t how = in.byte();
  switch (how % 4) {
    case 0:
      return make_absent();
    case 1:
      return f.fallback;  // the declared default (absent when there is none)
    default:
      break;
  }
  switch (f.decl.type) {
    case Type::kBool:
      return make_bool(in.byte() & 1);
    case Type::kString: {
      uint8_t pick = in.byte();
      if (!f.decl.allowed.empty() && pick < 224) return make_string(f.decl.allowed[pick % f.decl.allowed.size()]);
      strings.emplace_back(in.bytes(in.byte() % 16));
      return make_string(strings.back());
    }
    case Type::kNumber: {
      static constexpr double kInteresting[] = {0.0, -0.0, 1.0, -1.0, 0.5, 0.9, 1e-300, 1e300, 2e9, -2e9, 100, 1e18};
      uint8_t pick = in.byte();
      if (pick < 128) return make_number(kInteresting[pick % std::size(kInteresting)]);
      if (pick < 192) return make_number(static_cast<double>(static_cast<int32_t>(in.u32())) / 16.0);
      return make_number(in.raw_double());
    }
    default:
      return make_absent();
  }
}

inline std::string run_condition(const Env& env, const uint8_t* data, size_t size) {
  const Policy& p = *env.policy;
  const char* text_begin = reinterpret_cast<const char*>(data);
  const void* nul = std::memchr(data, 0, size);
  size_t text_len = nul ? static_cast<size_t>(static_cast<const uint8_t*>(nul) - data) : size;
  std::string text(text_begin, text_len);
  ByteSource in(data + std::min(size, text_len + 1), size - std::min(size, text_len + 1));

  std::optional<Condition> cond;
  try {
    cond.emplace(Condition::compile(text, resolver_of(p)));
  } catch (const ConditionError& e) {
    if (e.offset() > text.size())
      return "ConditionError offset " + std::to_string(e.offset()) + " past the end of a " +
             std::to_string(text.size()) + "-byte condition: " + e.what();
    if (std::strlen(e.what()) == 0) return "ConditionError without a message";
    return {};
  }
  if (cond->text() != text) return "Condition::text() differs from the compiled text";
  const auto& read = cond->facts_read();
  for (size_t i = 0; i < read.size(); ++i) {
    if (read[i] >= p.schema().size()) return "facts_read() names slot " + std::to_string(read[i]) + " past the schema";
    if (i > 0 && read[i] <= read[i - 1]) return "facts_read() is not sorted and unique";
  }
  std::optional<Condition::EqualityKey> key = cond->equality_key();
  if (key && key->slot >= p.schema().size()) return "equality_key() names a slot past the schema";
  Condition copy = *cond;  // the copy must behave the same

  const size_t n_facts = p.schema().size();
  const size_t n_crit = p.criteria().size();
  std::vector<TraceStep> steps;
  // Assignment 0: nothing given; then up to 4 from the bytes.
  for (int round = 0; round < 5; ++round) {
    if (round > 0 && in.left() == 0) break;
    std::vector<std::string> strings;
    strings.reserve(n_facts + 1);  // make_string points into them: no reallocation
    std::vector<insource_value> facts(n_facts, make_absent());
    std::vector<double> scores(n_crit, 0.0);
    std::vector<uint8_t> voted(n_crit, 0);
    double total = 0.0;
    if (round > 0) {
      for (size_t s = 0; s < n_facts; ++s) {
        insource_value v = fuzz_fact(p.schema().at(static_cast<uint32_t>(s)), in, strings);
        // Cases only ever hold values their schema accepts (the readers check).
        if (v.type != INSOURCE_ABSENT && p.schema().check(static_cast<uint32_t>(s), v)) v = make_absent();
        facts[s] = v;
      }
      for (size_t c = 0; c < n_crit; ++c) {
        voted[c] = in.byte() & 1;
        scores[c] = voted[c] ? (static_cast<double>(in.byte()) - 127.5) / 127.5 : 0.0;
      }
      total = (static_cast<double>(static_cast<int16_t>(in.u32() & 0xffff))) / 16384.0;
    }
    EvalInput ev{facts.data(), scores.data(), voted.data(), total};
    Tri a = cond->evaluate(ev);
    Tri b = cond->trace(ev, &steps);
    Tri c = copy.evaluate(ev);
    (void)cond->trace(ev, nullptr);
    if (a != b || a != c)
      return std::string("evaluate() gave ") + tri_name(a) + ", trace() " + tri_name(b) + ", a copy " + tri_name(c);
    if (steps.empty()) return "trace() recorded no step";
    if (steps[0].depth != 0) return "the first trace step is not at depth 0";
    for (const TraceStep& s : steps) {
      if (s.offset > text.size()) return "a trace step starts past the end of the condition";
      if (s.outcome.empty()) return "a trace step without an outcome";
    }
    if (key && a == Tri::kTrue) {
      const insource_value& v = facts[key->slot];
      insource_value eff = v.type == INSOURCE_ABSENT ? p.schema().at(key->slot).fallback : v;
      if (eff.type != INSOURCE_STRING || string_of(eff) != key->value)
        return "the condition holds, but its equality key " + p.schema().at(key->slot).decl.name + " == \"" +
               key->value + "\" does not (the override index would skip it)";
    }
  }
  return {};
}

// ---------------------------------------------------------------------------
// 3. Case reader: the bytes as a YAML/JSON case file (read_cases) and as one
// JSON case (JsonCaseParser, the batch fast path), against the default
// policy; accepted cases are checked against the schema and decided.

struct CaseReaderState {
  explicit CaseReaderState(const Env& env) : json(env.policy->schema()), evaluator(env.policy) {}
  JsonCaseParser json;
  Evaluator evaluator;
};

inline std::string run_case_reader(const Env& env, CaseReaderState* st, const uint8_t* data, size_t size) {
  const Policy& p = *env.policy;
  std::string text(reinterpret_cast<const char*>(data), size);
  // As a YAML (or JSON) case file, then as a JSON Lines file.
  for (const char* label : {"fuzz.yaml", "fuzz.jsonl"}) {
    for (CaseInput& in : read_cases(text, label, p.schema())) {
      if (!in.value) {
        if (in.error.empty()) return std::string("read_cases ") + label + ": a case refused without an error message";
        continue;
      }
      if (!in.error.empty()) return std::string("read_cases ") + label + ": a case both read and refused: " + in.error;
      if (auto e = check_case_facts(p.schema(), *in.value, label); !e.empty()) return e;
      if (auto e = decide_and_render(env.policy, &st->evaluator, *in.value, label); !e.empty()) return e;
    }
  }

  std::string buf(text);
  buf.append(kJsonPadding, '\0');
  CaseFacts c;
  std::string error;
  auto r = st->json.parse(buf.data(), size, buf.size(), &c, &error);
  if (r == JsonCaseParser::Result::kOk) {
    if (auto e = check_case_facts(p.schema(), c, "JsonCaseParser"); !e.empty()) return e;
    if (auto e = decide_and_render(env.policy, &st->evaluator, c, "JsonCaseParser"); !e.empty()) return e;
  } else if (error.empty()) {
    return "JsonCaseParser: an error result without a message";
  }
  return {};
}

// ---------------------------------------------------------------------------
// 4. Batch: the bytes as a JSON Lines input stream, through run_batch with
// one job, with two jobs and small chunks (the output must be the same), and
// with one job, detail records and a small record limit. Each run must give
// exactly one output line per input line, and its stats must add up.

class MemFile {
 public:
  MemFile() : fd_(::memfd_create("insource-fuzz", MFD_CLOEXEC)) {}
  ~MemFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  int fd() const { return fd_; }
  bool write_all(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::write(fd_, s.data(), s.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return ::lseek(fd_, 0, SEEK_SET) == 0;
  }
  std::string read_all() {
    std::string out;
    if (::lseek(fd_, 0, SEEK_SET) != 0) return out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int fd_;
};

// Records batch makes of JSON Lines input: a UTF-8 BOM at the start is
// skipped, a last line without '\n' counts, a blank line is no record (unless
// it is longer than the record limit: then it is a "too long" error record).
inline uint64_t jsonl_input_lines(std::string_view s, size_t max_record_bytes) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  uint64_t n = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    size_t end = nl == std::string_view::npos ? s.size() : nl;
    size_t len = end - pos;
    if (len > 0 && s[pos + len - 1] == '\r') --len;
    std::string_view line = s.substr(pos, len);
    if (len > max_record_bytes || line.find_first_not_of(" \t\r") != std::string_view::npos) ++n;
    pos = end + 1;
  }
  return n;
}

// Whether each output record must parse as JSON (on unless
// INSOURCE_FUZZ_BATCH_JSON=0).
inline bool batch_checks_json() {
  static const bool on = [] {
    const char* v = std::getenv("INSOURCE_FUZZ_BATCH_JSON");
    return !(v && std::string_view(v) == "0");
  }();
  return on;
}

// Whether to run the third configuration (detail records, 32-byte chunks,
// 96-byte record limit: the oversized-record path); on unless
// INSOURCE_FUZZ_BATCH_SMALL_RECORDS=0 (to fuzz the rest while a finding on
// that path is open).
inline bool batch_small_records() {
  static const bool on = [] {
    const char* v = std::getenv("INSOURCE_FUZZ_BATCH_SMALL_RECORDS");
    return !(v && std::string_view(v) == "0");
  }();
  return on;
}

inline std::string run_batch_once(const Env& env, std::string_view input, const BatchOptions& o, std::string* out,
                                  const char* what) {
  MemFile in, outf;
  if (in.fd() < 0 || outf.fd() < 0) return {};  // out of descriptors: not the engine's doing
  if (!in.write_all(input)) return {};
  BatchStats stats;
  try {
    stats = run_batch(env.policy, in.fd(), outf.fd(), o);
  } catch (const BatchError& e) {
    return std::string(what) + ": run_batch threw BatchError on JSON Lines input: " + e.what();
  }
  *out = outf.read_all();
  const uint64_t want = jsonl_input_lines(input, o.max_record_bytes);
  const uint64_t got = static_cast<uint64_t>(std::count(out->begin(), out->end(), '\n'));
  if (got != want || (!out->empty() && out->back() != '\n'))
    return std::string(what) + ": " + std::to_string(want) + " input lines gave " + std::to_string(got) +
           " output lines";
  if (stats.records != want)
    return std::string(what) + ": " + std::to_string(want) + " input lines, stats.records " +
           std::to_string(stats.records);
  uint64_t verdicts = 0;
  for (uint64_t v : stats.verdicts) verdicts += v;
  if (stats.records != verdicts + stats.errors ||
      stats.errors != stats.parse_errors + stats.case_errors + stats.plugin_errors)
    return std::string(what) + ": the stats do not add up";
  if (batch_checks_json()) {
    size_t pos = 0;
    uint64_t line = 0;
    while (pos < out->size()) {
      size_t nl = out->find('\n', pos);
      std::string_view rec(out->data() + pos, nl - pos);
      ++line;
      auto j = nlohmann::json::parse(rec, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        return std::string(what) + ": output record " + std::to_string(line) + " is not a JSON object: " +
               std::string(rec.substr(0, 200));
      pos = nl + 1;
    }
  }
  return {};
}

inline std::string run_batch_jsonl(const Env& env, const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string out1, out2, out3;

  BatchOptions one;
  one.jobs = 1;
  one.label = "fuzz.jsonl";
  if (auto e = run_batch_once(env, input, one, &out1, "jobs 1"); !e.empty()) return e;

  BatchOptions two = one;
  two.jobs = 2;
  two.chunk_bytes = 64;  // many chunks, so both workers and the writer's reordering run
  if (auto e = run_batch_once(env, input, two, &out2, "jobs 2"); !e.empty()) return e;
  if (out1 != out2) return "jobs 1 and jobs 2 (64-byte chunks) gave different output";

  if (!batch_small_records()) return {};
  BatchOptions detail = one;
  detail.detail = true;
  detail.chunk_bytes = 32;
  detail.max_record_bytes = 96;  // long lines take the oversized-record path
  if (auto e = run_batch_once(env, input, detail, &out3, "jobs 1 detail, 96-byte records"); !e.empty()) return e;
  return {};
}

}  // namespace insource::fuzz

#endif  // INSOURCE_FUZZ_FUZZ_TARGETS_H_
