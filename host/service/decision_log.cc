#include "service/decision_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "io/case_reader.h"
#include "io/distribution_reader.h"
#include "policy/evaluator.h"
#include "io/json_case_parser.h"
#include "io/host_output.h"
#include "service/log_chain.h"
#include "io/json_text.h"
#include "io/record_format.h"
#include "io/report.h"

namespace insource {

namespace {

int open_log(const std::string& path) {
  if (path == "-") return ::dup(host_output_fd());  // the host's stdout (io/host_output.h)
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

}  // namespace

DecisionLog::DecisionLog(const std::string& path) : path_(path) {
  fd_ = open_log(path);
  if (fd_ < 0) throw std::runtime_error("decision log '" + path + "' cannot be opened: " + std::strerror(errno));
  // An existing file's chain goes on from its last line.
  prev_ = path == "-" ? log_chain_seed_hash() : log_chain_tail(path);
}

DecisionLog::~DecisionLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool DecisionLog::append(std::string_view lines) {
  if (lines.empty()) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  // Chained in the order written: the mutex orders the lines and their hashes alike.
  std::string prev = prev_;
  const std::string chained = chain_lines(lines, &prev);
  const char* p = chained.data();
  size_t left = chained.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  prev_ = std::move(prev);
  lines_.fetch_add(static_cast<uint64_t>(std::count(lines.begin(), lines.end(), '\n')), std::memory_order_relaxed);
  return true;
}

bool DecisionLog::reopen() {
  if (path_ == "-") return true;
  int fd = open_log(path_);
  if (fd < 0) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ::close(fd_);
  fd_ = fd;
  // A rotated log starts a new chain (from the seed, or from the last line
  // of a file that is there already); the old file's last hash is logged so
  // that the two can be tied together.
  spdlog::info("decision log {} reopened; the previous file ended with line hash {}", path_, prev_);
  prev_ = log_chain_tail(path_);
  return true;
}

// The log's own JSON is written with nlohmann-json (json_text: invalid UTF-8
// becomes U+FFFD); the case and the record are spliced in as they were sent.
std::string plugin_hashes_json(const PolicySnapshot& snap) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const LoadedPluginFile& p : snap.plugins)
    out[p.criterion] = {{"name", p.name}, {"version", p.version}, {"file", p.file}, {"sha256", p.sha256}};
  return json_text(out);
}

void append_log_line(std::string* out, std::string_view decision_id, std::string_view time, const PolicySnapshot& snap,
                     std::string_view plugins_json, std::string_view source, std::string_view case_json,
                     std::string_view record_json) {
  while (!record_json.empty() && (record_json.back() == '\n' || record_json.back() == '\r')) record_json.remove_suffix(1);
  const nlohmann::ordered_json head = {{"decision_id", std::string(decision_id)},
                                       {"time", std::string(time)},
                                       {"rules_revision", snap.revision},
                                       {"generation", snap.generation},
                                       {"source", std::string(source)}};
  std::string text = json_text(head);
  text.pop_back();  // the closing brace: the case, the record and the plugins follow
  out->append(text);
  out->append(",\"case\":");
  out->append(case_json);
  out->append(",\"record\":");
  out->append(record_json);
  out->append(",\"plugins\":");
  out->append(plugins_json);
  out->append("}\n");
}

namespace {

std::string show(const nlohmann::ordered_json& v) {
  if (v.is_null()) return "null";
  if (v.is_string()) return v.get<std::string>();
  return json_text(v);
}

bool numbers_differ(double a, double b) {
  return std::fabs(a - b) > 1e-12 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// Per-criterion scores of a record: decide records carry criteria.<name>.score
// (absent when it abstained), compact ones scores.<name> (null when it abstained).
std::map<std::string, std::optional<double>> scores_of(const nlohmann::ordered_json& r) {
  std::map<std::string, std::optional<double>> out;
  if (auto it = r.find("criteria"); it != r.end() && it->is_object()) {
    for (auto c = it->begin(); c != it->end(); ++c) {
      auto s = c.value().find("score");
      out[c.key()] = (s != c.value().end() && s->is_number()) ? std::optional<double>(s->get<double>()) : std::nullopt;
    }
  } else if (auto it2 = r.find("scores"); it2 != r.end() && it2->is_object()) {
    for (auto c = it2->begin(); c != it2->end(); ++c)
      out[c.key()] = c.value().is_number() ? std::optional<double>(c.value().get<double>()) : std::nullopt;
  }
  return out;
}

std::string logged_error(const nlohmann::ordered_json& rec) {
  auto e = rec.find("error");
  if (e != rec.end() && e->is_object()) {
    auto m = e->find("message");
    if (m != e->end()) return show(*m);
  }
  return e == rec.end() ? std::string() : show(*e);
}

std::string score_text(const std::optional<double>& s) { return s ? format_number(*s) : std::string("abstained"); }

}  // namespace

ReplaySummary replay_decision_log(std::istream& log, const std::shared_ptr<const Policy>& policy,
                                  const std::vector<LoadedPluginFile>& plugins, const ReplayOptions& options,
                                  const std::function<void(const ReplayDifference&)>& on_difference) {
  ReplaySummary sum;
  Evaluator evaluator(policy);
  Decision d;
  std::map<std::string, std::string> current_hash;  // criterion -> sha256 now
  for (const auto& p : plugins) current_hash[p.criterion] = p.sha256;
  std::set<std::string> plugin_notes_seen;
  std::string line;
  uint64_t lineno = 0;
  auto problem = [&](const std::string& what) {
    ++sum.unreadable;
    if (sum.problems.size() < 20) sum.problems.push_back("line " + std::to_string(lineno) + ": " + what);
  };
  while (std::getline(log, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++sum.lines;
    nlohmann::ordered_json j;
    try {
      j = nlohmann::ordered_json::parse(line);
    } catch (const std::exception& e) {
      problem(std::string("not JSON: ") + e.what());
      continue;
    }
    if (!j.is_object() || !j.contains("case") || !j["case"].is_object() || !j.contains("record") ||
        !j["record"].is_object()) {
      problem("not a decision log line (no \"case\" and \"record\" objects)");
      continue;
    }
    ReplayDifference diff;
    diff.line = lineno;
    if (auto it = j.find("decision_id"); it != j.end() && it->is_string()) diff.decision_id = it->get<std::string>();
    if (auto it = j.find("rules_revision"); it != j.end() && it->is_string()) {
      diff.logged_revision = it->get<std::string>();
      if (std::find(sum.revisions.begin(), sum.revisions.end(), diff.logged_revision) == sum.revisions.end())
        sum.revisions.push_back(diff.logged_revision);
    }
    if (auto it = j.find("plugins"); it != j.end() && it->is_object()) {
      for (auto p = it->begin(); p != it->end(); ++p) {
        std::string logged = p.value().is_object() && p.value().contains("sha256") && p.value()["sha256"].is_string()
                                 ? p.value()["sha256"].get<std::string>()
                                 : "";
        auto now = current_hash.find(p.key());
        std::string note;
        if (now == current_hash.end()) note = p.key() + ": logged plugin " + logged.substr(0, 12) + " is not loaded now";
        else if (now->second != logged)
          note = p.key() + ": plugin sha256 " + logged.substr(0, 12) + " logged, " + now->second.substr(0, 12) + " now";
        if (!note.empty() && plugin_notes_seen.insert(note).second) sum.plugin_changes.push_back(note);
      }
    }
    const nlohmann::ordered_json& rec = j["record"];
    const nlohmann::ordered_json& cj = j["case"];
    if (auto it = cj.find("id"); it != cj.end()) diff.case_id = show(*it);

    auto inputs = read_cases(json_text(cj), "log line " + std::to_string(lineno), policy->schema(), 1, CaseFormat::kJson);
    refuse_uncertain(&inputs, policy->schema(), "replay decides sure values only");
    ++sum.replayed;
    if (inputs.size() != 1 || !inputs[0].value) {
      diff.changes.push_back("the case cannot be read now: " +
                             (inputs.empty() ? std::string("no case") : inputs[0].error));
      ++sum.differing;
      if (on_difference) on_difference(diff);
      continue;
    }
    CaseFacts& c = *inputs[0].value;
    evaluator.decide(c, &d, true);
    diff.now = decision_json(*policy, c, d);
    if (diff.case_id.empty()) diff.case_id = c.id;

    const bool logged_failed = rec.contains("error");
    if (logged_failed != d.failed) {
      if (logged_failed)
        diff.changes.push_back("failed (" + logged_error(rec) +
                               ") -> verdict " + std::string(verdict_name(d.verdict)));
      else
        diff.changes.push_back("verdict " + show(rec.value("verdict", nlohmann::ordered_json())) + " -> failed (" +
                               d.error + ")");
    } else if (!logged_failed) {
      std::string was = show(rec.value("verdict", nlohmann::ordered_json()));
      std::string now(verdict_name(d.verdict));
      if (was != now) diff.changes.push_back("verdict " + was + " -> " + now);
      std::string rule_was = show(rec.value("rule", nlohmann::ordered_json()));
      std::string rule_now = d.rule >= 0 ? policy->overrides()[static_cast<size_t>(d.rule)].id : "null";
      if (rule_was != rule_now) diff.changes.push_back("rule " + rule_was + " -> " + rule_now);
      if (options.strict) {
        auto t = rec.find("total");
        if (t == rec.end() || !t->is_number() || numbers_differ(t->get<double>(), d.total))
          diff.changes.push_back("total " + (t == rec.end() ? std::string("none") : show(*t)) + " -> " +
                                 format_number(d.total));
        auto was_scores = scores_of(rec);
        std::map<std::string, std::optional<double>> now_scores;
        for (size_t i = 0; i < policy->criteria().size(); ++i)
          now_scores[policy->criteria()[i].name] = d.criteria[i].state == CriterionOutcome::State::kVoted
                                                       ? std::optional<double>(d.criteria[i].score)
                                                       : std::nullopt;
        std::set<std::string> names;
        for (const auto& [n, s] : was_scores) names.insert(n);
        for (const auto& [n, s] : now_scores) names.insert(n);
        for (const std::string& n : names) {
          auto a = was_scores.find(n), b = now_scores.find(n);
          if (a == was_scores.end()) {
            diff.changes.push_back("criterion " + n + " added (" + score_text(b->second) + ")");
          } else if (b == now_scores.end()) {
            diff.changes.push_back("criterion " + n + " removed (was " + score_text(a->second) + ")");
          } else if (a->second.has_value() != b->second.has_value() ||
                     (a->second && numbers_differ(*a->second, *b->second))) {
            diff.changes.push_back("score." + n + " " + score_text(a->second) + " -> " + score_text(b->second));
          }
        }
      }
    } else if (options.strict) {
      std::string was = logged_error(rec);
      if (was != d.error) diff.changes.push_back("error \"" + was + "\" -> \"" + d.error + "\"");
    }
    if (diff.changes.empty()) {
      ++sum.same;
    } else {
      ++sum.differing;
      if (on_difference) on_difference(diff);
    }
  }
  return sum;
}

}  // namespace insource
