#include "policy/evaluator.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <exception>
#include <string>

#include "core/plugin_text.h"
#include "plugin_host/plugin_isolation.h"

namespace insource {

namespace {

const char* status_name(int32_t s) {
  switch (s) {
    case INSOURCE_ERR_INVALID_ARGUMENT: return "invalid argument";
    case INSOURCE_ERR_MISSING_FACT: return "missing fact";
    case INSOURCE_ERR_OUT_OF_MEMORY: return "out of memory";
    case INSOURCE_ERR_INTERNAL: return "internal error";
    case INSOURCE_ERR_UNSUPPORTED: return "unsupported";
    default: return "error";
  }
}

}  // namespace

Evaluator::Evaluator(std::shared_ptr<const Policy> policy) : policy_(std::move(policy)) {
  size_t widest = 0;
  std::vector<IsolatedPlugins::Member> isolated;
  std::vector<size_t> isolated_criteria;
  const size_t n = policy_->criteria().size();
  member_.assign(n, 0);
  unavailable_.assign(n, std::string());
  for (size_t i = 0; i < n; ++i) {
    const CriterionBinding& b = policy_->criteria()[i];
    instances_.push_back(nullptr);
    if (b.plugin->isolated()) {
      member_[i] = static_cast<uint32_t>(isolated.size());
      isolated.push_back({b.plugin, b.params, b.name, b.timeout_ms});
      isolated_criteria.push_back(i);
    } else {
      // The policy's trial instance worked, but this one may not (a licence
      // held by another instance, a create that works once): the criterion
      // then faults on each case under its on_error, never an abort.
      try {
        instances_.back() = b.plugin->instantiate(b.params);
      } catch (const PluginError& e) {
        unavailable_[i] = std::string("criterion ") + b.name + ": " + e.what();
        spdlog::warn("{}; the criterion faults on every case this evaluator decides", unavailable_[i]);
      }
    }
    widest = std::max(widest, b.slots.size());
  }
  if (!isolated.empty()) {
    const IsolationConfig& config = policy_->plugins().isolation;
    auto unavailable = [&](size_t i, const char* why) {
      unavailable_[i] = std::string("criterion ") + policy_->criteria()[i].name + ": " + why;
      spdlog::warn("{}; the criterion faults on every case this evaluator decides", unavailable_[i]);
    };
    try {
      isolated_ = std::make_unique<IsolatedPlugins>(isolated, config);
    } catch (const PluginError&) {
      // One worker holds them all: find the members that cannot be made,
      // each alone, so that only their criteria fault; the others go on.
      std::vector<IsolatedPlugins::Member> ok;
      std::vector<size_t> ok_criteria;
      for (size_t k = 0; k < isolated.size(); ++k) {
        try {
          IsolatedPlugins alone({isolated[k]}, config);
          ok.push_back(isolated[k]);
          ok_criteria.push_back(isolated_criteria[k]);
        } catch (const PluginError& e) {
          unavailable(isolated_criteria[k], e.what());
        }
      }
      for (size_t j = 0; j < ok_criteria.size(); ++j) member_[ok_criteria[j]] = static_cast<uint32_t>(j);
      if (!ok.empty()) {
        try {
          isolated_ = std::make_unique<IsolatedPlugins>(std::move(ok), config);
        } catch (const PluginError& e) {
          for (size_t i : ok_criteria) unavailable(i, e.what());
        }
      }
    }
  }
  gathered_.resize(widest);
  scores_.resize(n);
  voted_.resize(n);
}

Evaluator::~Evaluator() = default;
Evaluator::Evaluator(Evaluator&&) noexcept = default;
Evaluator& Evaluator::operator=(Evaluator&&) noexcept = default;

void Evaluator::decide(const CaseFacts& c, Decision* d, bool with_rationale) {
  const auto& criteria = policy_->criteria();
  d->criteria.resize(criteria.size());
  d->failed = false;
  d->error.clear();
  d->rule = -1;
  d->faults = 0;
  d->forced_by = -1;
  const uint32_t flags = with_rationale ? INSOURCE_EVAL_RATIONALE : 0u;

  if (isolated_) {  // every isolated criterion in one round trip to the worker
    isolated_->begin(flags);
    for (size_t i = 0; i < criteria.size(); ++i) {
      if (instances_[i] || !unavailable_[i].empty()) continue;
      const CriterionBinding& b = criteria[i];
      for (size_t k = 0; k < b.slots.size(); ++k) gathered_[k] = c.facts[b.slots[k]];
      isolated_->add(member_[i], gathered_.data(), b.slots.size());
    }
    isolated_->run();
  }

  WeightedVote tally;
  for (size_t i = 0; i < criteria.size(); ++i) {
    const CriterionBinding& b = criteria[i];
    CriterionOutcome& out = d->criteria[i];
    out.rationale.clear();
    out.error.clear();
    out.contribution = 0.0;
    insource_vote vote;
    int32_t status = INSOURCE_OK;
    std::string thrown;  // a fault outside the ABI's error codes: the whole message
    out.fault = false;
    if (!unavailable_[i].empty()) {
      thrown = unavailable_[i];
    } else if (!instances_[i]) {
      const IsolatedPlugins::Result& r = isolated_->result(member_[i]);
      if (!r.fault.empty()) thrown = r.fault;
      status = r.status;
      vote = r.vote;
    } else {
      // Hand the plugin its facts in its own declared order.
      for (size_t k = 0; k < b.slots.size(); ++k) gathered_[k] = c.facts[b.slots[k]];
      try {  // the ABI forbids exceptions; one that escapes anyway is a fault, not a crash of the run
        status = instances_[i]->evaluate(gathered_.data(), b.slots.size(), flags, &vote);
      } catch (const std::exception& e) {
        thrown = "plugin " + b.plugin->name() + " (criterion " + b.name + ") threw an exception: " + plugin_text(e.what());
      } catch (...) {
        thrown = "plugin " + b.plugin->name() + " (criterion " + b.name + ") threw an exception of unknown type";
      }
    }
    voted_[i] = 0;
    if (!thrown.empty()) {
      vote = insource_vote{};
      status = INSOURCE_ERR_INTERNAL;
      out.state = CriterionOutcome::State::kFailed;
      out.error = std::move(thrown);
    } else if (status != INSOURCE_OK) {
      out.state = CriterionOutcome::State::kFailed;
      out.error = std::string("plugin ") + b.plugin->name() + " (criterion " + b.name + ") failed: " +
                  (vote.message ? plugin_text(vote.message) : "no message") + " [" + status_name(status) + "]";
    } else if (vote.abstain) {
      out.state = CriterionOutcome::State::kAbstained;
      out.score = 0.0;
    } else if (!(vote.score >= -1.0 && vote.score <= 1.0)) {  // also catches NaN
      out.state = CriterionOutcome::State::kFailed;
      out.error = "plugin " + b.plugin->name() + " (criterion " + b.name + ") returned score " +
                  format_number(vote.score) + ", outside [-1, 1]";
    } else if (vote.score < b.plugin->score_min() || vote.score > b.plugin->score_max()) {
      // The static checks and margins trust the declared range: a plugin that leaves it is at fault.
      out.state = CriterionOutcome::State::kFailed;
      out.error = "plugin " + b.plugin->name() + " (criterion " + b.name + ") returned score " +
                  format_number(vote.score) + ", outside its declared range [" + format_number(b.plugin->score_min()) +
                  ", " + format_number(b.plugin->score_max()) + "]";
    } else {
      out.state = CriterionOutcome::State::kVoted;
      out.score = vote.score;
      scores_[i] = vote.score;
      voted_[i] = 1;
      tally.add(b.weight, vote.score);
    }
    out.rationale_bytes = 0;
    if (with_rationale && vote.rationale && status == INSOURCE_OK && out.state != CriterionOutcome::State::kFailed) {
      // Cut to kMaxPluginTextBytes and made valid UTF-8, the same in process
      // and isolated (the worker sends the first kMaxPluginTextBytes and the length).
      if (instances_[i]) {
        assign_plugin_text(&out.rationale, vote.rationale, kMaxPluginTextBytes, &out.rationale_bytes);
      } else {
        const IsolatedPlugins::Result& r = isolated_->result(member_[i]);
        assign_plugin_text(&out.rationale, r.rationale, kMaxPluginTextBytes, nullptr);
        out.rationale_bytes = r.rationale_bytes > kMaxPluginTextBytes ? r.rationale_bytes : 0;
      }
    }
    if (out.state == CriterionOutcome::State::kFailed) {
      // A fault: on_error decides what it does to the case; it is recorded either way.
      out.fault = true;
      out.score = 0.0;
      ++d->faults;
      const FaultPolicy& f = b.on_error;
      if (f.kind == FaultPolicy::Kind::kFail) {
        if (!d->failed) {
          d->failed = true;
          d->error = out.error;
        }
      } else {
        out.state = CriterionOutcome::State::kAbstained;
        if (f.kind == FaultPolicy::Kind::kVerdict && d->forced_by < 0) d->forced_by = static_cast<int>(i);
      }
    }
  }
  if (d->failed) {
    d->verdict = Verdict::kReview;
    d->total = 0.0;
    d->weight_sum = 0.0;
    return;
  }

  d->weight_sum = tally.weight_sum();
  d->total = tally.total();
  for (size_t i = 0; i < criteria.size(); ++i)
    if (voted_[i]) d->criteria[i].contribution = tally.contribution(criteria[i].weight, scores_[i]);

  if (d->forced_by >= 0) {  // a fault's on_error names the verdict: overrides and thresholds do not apply
    d->verdict = criteria[static_cast<size_t>(d->forced_by)].on_error.verdict;
    return;
  }

  EvalInput in{c.facts.data(), scores_.data(), voted_.data(), d->total};
  int rule = first_match(c, in);
  if (rule >= 0) {
    d->rule = rule;
    d->verdict = policy_->overrides()[static_cast<size_t>(rule)].verdict;
    return;
  }
  d->verdict = tally.band(policy_->thresholds());
}

void recombine(const Policy& policy, const CaseFacts& c, const std::vector<double>& weights, Decision* d) {
  const auto& criteria = policy.criteria();
  std::vector<double> scores(criteria.size(), 0.0);
  std::vector<uint8_t> voted(criteria.size(), 0);
  WeightedVote tally;
  for (size_t i = 0; i < criteria.size(); ++i) {
    CriterionOutcome& out = d->criteria[i];
    out.contribution = 0.0;
    if (out.state != CriterionOutcome::State::kVoted) continue;
    scores[i] = out.score;
    voted[i] = 1;
    tally.add(weights[i], out.score);
  }
  d->rule = -1;
  d->weight_sum = tally.weight_sum();
  d->total = tally.total();
  for (size_t i = 0; i < criteria.size(); ++i)
    if (voted[i]) d->criteria[i].contribution = tally.contribution(weights[i], scores[i]);
  if (d->forced_by >= 0) {  // as decide(): the fault's forced verdict stands whatever the weights
    d->verdict = criteria[static_cast<size_t>(d->forced_by)].on_error.verdict;
    return;
  }
  EvalInput in{c.facts.data(), scores.data(), voted.data(), d->total};
  const auto& overrides = policy.overrides();
  for (size_t i = 0; i < overrides.size(); ++i) {
    if (overrides[i].condition.evaluate(in) == Tri::kTrue) {
      d->rule = static_cast<int>(i);
      d->verdict = overrides[i].verdict;
      return;
    }
  }
  d->verdict = tally.band(policy.thresholds());
}

int Evaluator::first_match(const CaseFacts& c, const EvalInput& in) {
  const auto& overrides = policy_->overrides();
  const OverrideIndex& index = policy_->override_index();
  if (!index.enabled) {
    for (size_t i = 0; i < overrides.size(); ++i)
      if (overrides[i].condition.evaluate(in) == Tri::kTrue) return static_cast<int>(i);
    return -1;
  }
  // The candidates: overrides without an equality test, and those whose test
  // the case's value meets. Each list is ascending; try them merged, in file
  // order, and stop at the first match.
  candidates_.clear();
  if (!index.unkeyed.empty()) candidates_.push_back({index.unkeyed.data(), index.unkeyed.data() + index.unkeyed.size()});
  for (const OverrideIndex::Keyed& k : index.keyed) {
    const insource_value& v = c.facts[k.slot];
    if (v.type != INSOURCE_STRING) continue;  // absent: the test is unknown, the override cannot match
    auto it = k.by_value.find(string_of(v));
    if (it != k.by_value.end()) candidates_.push_back({it->second.data(), it->second.data() + it->second.size()});
  }
  while (true) {
    Range* next = nullptr;
    for (Range& r : candidates_)
      if (r.first != r.last && (!next || *r.first < *next->first)) next = &r;
    if (!next) return -1;
    uint32_t i = *next->first++;
    if (overrides[i].condition.evaluate(in) == Tri::kTrue) return static_cast<int>(i);
  }
}

}  // namespace insource
