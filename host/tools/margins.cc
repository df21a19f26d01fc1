#include "tools/margins.h"

#include <algorithm>
#include <cstdio>

#include "io/report.h"

namespace insource {

namespace {

using State = CriterionOutcome::State;

// Re-decides one case with one weight or one score changed.
class Probe {
 public:
  Probe(const Policy& p, const CaseFacts& c, const Decision& d) : p_(p), c_(c), work_(d) {
    for (const auto& b : p.criteria()) weights_.push_back(b.weight);
  }

  Verdict at_weight(size_t k, double x) {
    double old = weights_[k];
    weights_[k] = x;
    recombine(p_, c_, weights_, &work_);
    weights_[k] = old;
    return work_.verdict;
  }

  Verdict at_score(size_t k, double s) {
    double old = work_.criteria[k].score;
    work_.criteria[k].score = s;
    recombine(p_, c_, weights_, &work_);
    work_.criteria[k].score = old;
    return work_.verdict;
  }

 private:
  const Policy& p_;
  const CaseFacts& c_;
  Decision work_;
  std::vector<double> weights_;
};

struct Edge {
  double keep;                  // the last value that keeps the verdict
  std::optional<Verdict> next;  // the verdict just beyond it; none when the walk reached its end
};

// Bisects on doubles between a value that keeps the verdict and one that does
// not, down to two adjacent doubles.
template <class F>
Edge refine(F& f, Verdict v0, double keep, double flip) {
  for (int i = 0; i < 4000; ++i) {
    double mid = keep + (flip - keep) / 2;
    if (mid == keep || mid == flip) break;
    if (f(mid) == v0) keep = mid;
    else flip = mid;
  }
  return Edge{keep, f(flip)};
}

// Walks the probes in order (away from x0); the first that changes the verdict
// is refined against the last that kept it.
template <class F>
Edge walk(F& f, Verdict v0, double x0, const std::vector<double>& probes) {
  double keep = x0;
  for (double x : probes) {
    if (f(x) != v0) return refine(f, v0, keep, x);
    keep = x;
  }
  return Edge{keep, std::nullopt};
}

// The probe sequence from x0 towards `end` through the breakpoints: each
// breakpoint, then a point past it (halfway to the next one), then the end.
std::vector<double> probes_towards(double x0, std::vector<double> cuts, double end) {
  const bool up = end > x0;
  std::vector<double> ahead;
  for (double c : cuts)
    if (std::isfinite(c) && (up ? (c > x0 && c < end) : (c < x0 && c > end))) ahead.push_back(c);
  std::sort(ahead.begin(), ahead.end());
  if (!up) std::reverse(ahead.begin(), ahead.end());
  ahead.erase(std::unique(ahead.begin(), ahead.end()), ahead.end());
  std::vector<double> out;
  for (size_t i = 0; i < ahead.size(); ++i) {
    out.push_back(ahead[i]);
    double next = i + 1 < ahead.size() ? ahead[i + 1] : end;
    double mid = ahead[i] + (next - ahead[i]) / 2;
    if (std::isfinite(mid)) out.push_back(mid);
  }
  out.push_back(end);
  return out;
}

std::string trim_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string distance_text(const Margins& m) {
  const Thresholds& t = m.thresholds;
  auto part = [&](double threshold, const char* name) {
    double d = m.total - threshold;
    char buf[160];
    if (std::fabs(d) <= kThresholdEpsilon)
      std::snprintf(buf, sizeof buf, "on the %s threshold %+.3f", name, threshold);
    else
      std::snprintf(buf, sizeof buf, "%.3f %s the %s threshold %+.3f", std::fabs(d), d > 0 ? "above" : "below", name,
                    threshold);
    return std::string(buf);
  };
  return "total " + signed_fixed(m.total) + ": " + part(t.insource, "insource") + ", " + part(t.outsource, "outsource");
}

std::string if_changes(const Changes& changes) {
  std::string out;
  for (const auto& alt : changes) {
    out += out.empty() ? "if " : "; or if ";
    for (size_t i = 0; i < alt.size(); ++i) out += (i ? " and " : "") + alt[i];
  }
  return out;
}

nlohmann::ordered_json verdict_or_null(const std::optional<Verdict>& v) {
  return v ? nlohmann::ordered_json(verdict_name(*v)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json changes_json(const Changes& c) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& alt : c) out.push_back(alt);
  return out;
}

const char* state_name(State s) {
  switch (s) {
    case State::kVoted: return "voted";
    case State::kAbstained: return "abstained";
    case State::kFailed: return "failed";
  }
  return "?";
}

}  // namespace

std::string bound_text(double x, bool down) {
  if (!std::isfinite(x)) return x > 0 ? "infinity" : "-infinity";
  int decimals = 4;
  if (x != 0 && std::fabs(x) < 0.01) decimals = std::min(20, 3 - static_cast<int>(std::floor(std::log10(std::fabs(x)))));
  double scale = std::pow(10.0, decimals);
  double r = down ? std::floor(x * scale) / scale : std::ceil(x * scale) / scale;
  if (r == 0) r = 0;  // no "-0"
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, r);
  return trim_zeros(buf);
}

Margins compute_margins(const Policy& p, const CaseFacts& c, const Decision& d) {
  Margins m;
  m.verdict = d.verdict;
  m.rule = d.rule;
  m.total = d.total;
  m.voted = d.weight_sum > 0.0;
  m.thresholds = p.thresholds();
  m.vote_verdict = m.voted ? threshold_verdict(p.thresholds(), d.total) : Verdict::kReview;

  // What the overrides compare the total and the scores with.
  NameUses uses;
  std::vector<CondNode> shapes;
  for (const auto& o : p.overrides()) {
    shapes.push_back(condition_shape(o.condition));
    collect_name_uses(shapes.back(), &uses);
  }
  auto use_of = [&](NameRef r) -> const NameUse* {
    auto it = uses.find(r);
    return it == uses.end() ? nullptr : &it->second;
  };
  const NameUse* total_use = use_of(NameRef{NameInfo::Kind::kTotal, 0});
  const auto band_cuts = threshold_cuts(p.thresholds());
  std::vector<double> total_cuts(band_cuts.begin(), band_cuts.end());
  bool total_opaque = false;
  if (total_use) {
    total_cuts.insert(total_cuts.end(), total_use->numbers.begin(), total_use->numbers.end());
    total_opaque = total_use->opaque;
  }

  Probe probe(p, c, d);
  const auto& criteria = p.criteria();
  for (size_t k = 0; k < criteria.size(); ++k) {
    CriterionMargin cm;
    cm.criterion = criteria[k].name;
    cm.state = d.criteria[k].state;
    cm.weight = criteria[k].weight;
    cm.score_min = std::max(-1.0, criteria[k].plugin->score_min());
    cm.score_max = std::min(1.0, criteria[k].plugin->score_max());
    cm.weight_low = 0.0;
    cm.weight_high = HUGE_VAL;
    if (cm.state != State::kVoted) {
      m.criteria.push_back(cm);
      continue;
    }
    const double s = d.criteria[k].score, w = cm.weight;
    cm.score = s;
    WeightedVote others;  // the other voters: the total as a function of this one's weight or score
    for (size_t i = 0; i < criteria.size(); ++i)
      if (i != k && d.criteria[i].state == State::kVoted) others.add(criteria[i].weight, d.criteria[i].score);
    const double a = others.weighted_sum(), b = others.weight_sum();
    const NameUse* score_use = use_of(NameRef{NameInfo::Kind::kScore, static_cast<uint32_t>(k)});
    const bool opaque_w = total_opaque;
    const bool opaque_s = total_opaque || (score_use && score_use->opaque);
    m.approximate = m.approximate || opaque_w || opaque_s;

    // The weight: total(x) = (a + x s) / (b + x) crosses t at x = (t b - a) / (s - t).
    {
      std::vector<double> cuts;
      for (double t : total_cuts)
        if (s != t) cuts.push_back((t * b - a) / (s - t));
      if (opaque_w)
        for (int i = -96; i <= 96; ++i) cuts.push_back(w * std::pow(2.0, i / 8.0));
      auto f = [&](double x) { return probe.at_weight(k, x); };
      double far = 2 * (w + b + 1);
      for (double x : cuts)
        if (std::isfinite(x)) far = std::max(far, 2 * x + 1);
      Edge up = walk(f, d.verdict, w, probes_towards(w, cuts, far));
      if (up.next) cm.weight_high = up.keep, cm.above = up.next;
      Edge down = walk(f, d.verdict, w, probes_towards(w, cuts, 0.0));
      cm.weight_low = down.next ? down.keep : 0.0;
      cm.below = down.next;
    }
    // The score: total(s) = (a + w s) / (b + w) crosses t at s = (t (b + w) - a) / w.
    {
      std::vector<double> cuts;
      for (double t : total_cuts) cuts.push_back((t * (b + w) - a) / w);
      if (score_use) cuts.insert(cuts.end(), score_use->numbers.begin(), score_use->numbers.end());
      if (opaque_s)
        for (int i = 0; i <= 200; ++i) cuts.push_back(cm.score_min + (cm.score_max - cm.score_min) * i / 200.0);
      auto f = [&](double x) { return probe.at_score(k, x); };
      Edge up = walk(f, d.verdict, s, s < cm.score_max ? probes_towards(s, cuts, cm.score_max) : std::vector<double>{});
      cm.score_high = up.next ? up.keep : std::max(s, cm.score_max);
      cm.score_above = up.next;
      Edge down = walk(f, d.verdict, s, s > cm.score_min ? probes_towards(s, cuts, cm.score_min) : std::vector<double>{});
      cm.score_low = down.next ? down.keep : std::min(s, cm.score_min);
      cm.score_below = down.next;
    }
    m.criteria.push_back(cm);
  }

  // Facts: what would stop the deciding override, what would let another decide.
  std::vector<double> scores(criteria.size(), 0.0);
  std::vector<uint8_t> voted(criteria.size(), 0);
  for (size_t i = 0; i < criteria.size(); ++i) {
    voted[i] = d.criteria[i].state == State::kVoted;
    scores[i] = voted[i] ? d.criteria[i].score : 0.0;
  }
  EvalInput in{c.facts.data(), scores.data(), voted.data(), d.total};
  if (d.rule >= 0)
    m.unmatch = changes_for(shapes[static_cast<size_t>(d.rule)], Goal::kNotTrue, in, p);
  const size_t last = d.rule >= 0 ? static_cast<size_t>(d.rule) : shapes.size();
  for (size_t j = 0; j < last; ++j) {
    if (p.overrides()[j].verdict == d.verdict) continue;
    Changes ch = changes_for(shapes[j], Goal::kTrue, in, p);
    if (!ch.empty()) m.take_over.push_back(TakeOver{static_cast<int>(j), std::move(ch)});
  }
  return m;
}

std::string margins_text(const Policy& p, const Margins& m, const std::string& indent) {
  const std::string verdict(verdict_name(m.verdict));
  std::string out = indent + "margins (what would change the verdict " + verdict + ", one thing at a time):\n";
  const std::string in2 = indent + "  ";
  if (m.rule >= 0) {
    const auto& o = p.overrides()[static_cast<size_t>(m.rule)];
    out += in2 + "override " + o.id + " decided; it would no longer match " +
           (m.unmatch.empty() ? std::string("whatever the facts (nothing the case says can change it)") : if_changes(m.unmatch)) + "\n";
    if (m.voted)
      out += in2 + "the weighted vote alone says " + std::string(verdict_name(m.vote_verdict)) + ": " + distance_text(m) + "\n";
    else
      out += in2 + "no criterion voted: the weighted vote alone says review\n";
  } else if (m.voted) {
    out += in2 + distance_text(m) + "\n";
  } else {
    out += in2 + "no criterion voted: weights and scores play no part until one does\n";
  }

  struct Nearest {
    double change = HUGE_VAL;
    std::string text;
    void offer(double c, std::string t) {
      if (c < change) change = c, text = std::move(t);
    }
  } nearest_weight, nearest_score;
  bool any_flip = false;
  for (const CriterionMargin& cm : m.criteria) {
    if (cm.state == State::kAbstained) {
      if (m.voted) out += in2 + cm.criterion + " abstained: its weight and score play no part\n";
      continue;
    }
    if (cm.state != State::kVoted) continue;
    const std::string w_now = " (now " + format_number(cm.weight) + ")";
    const std::string s_now = " (now " + signed_fixed(cm.score) + ")";
    const std::string range = " (within [" + format_number(cm.score_min) + ", " + format_number(cm.score_max) + "])";
    auto become = [](Verdict v) { return "would become " + std::string(verdict_name(v)); };
    std::vector<std::string> lines;
    // The weight.
    if (cm.below) {
      if (cm.weight_low < 1e-300)
        lines.push_back(become(*cm.below) + " if the weight of " + cm.criterion + " were 0" + w_now);
      else
        lines.push_back(become(*cm.below) + " if the weight of " + cm.criterion + " fell below " +
                        bound_text(cm.weight_low, true) + w_now);
      nearest_weight.offer(cm.weight - cm.weight_low, "the weight of " + cm.criterion + " falling by " +
                                                          bound_text(cm.weight - cm.weight_low, false) + " (to " +
                                                          std::string(verdict_name(*cm.below)) + ")");
    }
    if (cm.above) {
      lines.push_back(become(*cm.above) + " if the weight of " + cm.criterion + " rose above " +
                      bound_text(cm.weight_high, false) + w_now);
      nearest_weight.offer(cm.weight_high - cm.weight, "the weight of " + cm.criterion + " rising by " +
                                                           bound_text(cm.weight_high - cm.weight, false) + " (to " +
                                                           std::string(verdict_name(*cm.above)) + ")");
    }
    const bool weight_moves = cm.below || cm.above, score_moves = cm.score_below || cm.score_above;
    if (!weight_moves && score_moves && m.rule < 0)
      lines.push_back("no weight of " + cm.criterion + " changes it on its own" + w_now);
    // The score.
    if (cm.score_below) {
      lines.push_back(become(*cm.score_below) + " if the score of " + cm.criterion + " fell below " +
                      bound_text(cm.score_low, true) + s_now);
      nearest_score.offer(cm.score - cm.score_low, "the score of " + cm.criterion + " falling by " +
                                                       bound_text(cm.score - cm.score_low, false) + " (to " +
                                                       std::string(verdict_name(*cm.score_below)) + ")");
    }
    if (cm.score_above) {
      lines.push_back(become(*cm.score_above) + " if the score of " + cm.criterion + " rose above " +
                      bound_text(cm.score_high, false) + s_now);
      nearest_score.offer(cm.score_high - cm.score, "the score of " + cm.criterion + " rising by " +
                                                        bound_text(cm.score_high - cm.score, false) + " (to " +
                                                        std::string(verdict_name(*cm.score_above)) + ")");
    }
    if (m.rule < 0) {
      if (!weight_moves && !score_moves)
        lines.push_back("no weight and no score of " + cm.criterion + range + " changes it on its own");
      else if (!score_moves)
        lines.push_back("no score of " + cm.criterion + range + " changes it on its own" + s_now);
    }
    any_flip = any_flip || weight_moves || score_moves;
    for (const auto& l : lines) out += in2 + l + "\n";
  }
  if (m.rule >= 0 && !any_flip && m.voted)
    out += in2 + "no single weight or score changes it (the override does not depend on them)\n";
  if (!nearest_weight.text.empty()) out += in2 + "smallest weight change that flips it: " + nearest_weight.text + "\n";
  if (!nearest_score.text.empty()) out += in2 + "smallest score change that flips it: " + nearest_score.text + "\n";
  for (const TakeOver& t : m.take_over) {
    const auto& o = p.overrides()[static_cast<size_t>(t.rule)];
    out += in2 + "would become " + std::string(verdict_name(o.verdict)) + " by override " + o.id + " " +
           if_changes(t.changes) + "\n";
  }
  if (m.approximate)
    out += in2 + "(an override does arithmetic on the total or a score: these ends were found by sampling and may miss a narrow change)\n";
  return out;
}

nlohmann::ordered_json margins_json(const Policy& p, const Margins& m) {
  nlohmann::ordered_json j;
  j["verdict"] = verdict_name(m.verdict);
  j["rule"] = m.rule >= 0 ? nlohmann::ordered_json(p.overrides()[static_cast<size_t>(m.rule)].id) : nullptr;
  j["total"] = m.total;
  j["vote_verdict"] = verdict_name(m.vote_verdict);
  j["to_insource_threshold"] = m.thresholds.insource - m.total;
  j["to_outsource_threshold"] = m.total - m.thresholds.outsource;
  nlohmann::ordered_json crit = nlohmann::ordered_json::object();
  for (const CriterionMargin& cm : m.criteria) {
    nlohmann::ordered_json e;
    e["state"] = state_name(cm.state);
    e["weight"] = cm.weight;
    if (cm.state == State::kVoted) {
      e["weight_low"] = cm.weight_low;
      e["weight_high"] = std::isfinite(cm.weight_high) ? nlohmann::ordered_json(cm.weight_high) : nullptr;
      e["below"] = verdict_or_null(cm.below);
      e["above"] = verdict_or_null(cm.above);
      e["score"] = cm.score;
      e["score_low"] = cm.score_low;
      e["score_high"] = cm.score_high;
      e["score_below"] = verdict_or_null(cm.score_below);
      e["score_above"] = verdict_or_null(cm.score_above);
    }
    crit[cm.criterion] = std::move(e);
  }
  j["criteria"] = std::move(crit);
  if (m.rule >= 0) j["unmatch"] = changes_json(m.unmatch);
  nlohmann::ordered_json take = nlohmann::ordered_json::array();
  for (const TakeOver& t : m.take_over) {
    const auto& o = p.overrides()[static_cast<size_t>(t.rule)];
    take.push_back({{"rule", o.id}, {"verdict", verdict_name(o.verdict)}, {"changes", changes_json(t.changes)}});
  }
  j["take_over"] = std::move(take);
  j["approximate"] = m.approximate;
  return j;
}

}  // namespace insource
