#include "tools/report_html.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "tools/explain.h"
#include "tools/margins.h"
#include "io/record_format.h"
#include "io/report.h"

namespace insource {
namespace {

// Ordered: a case's criteria are drawn in the policy's order, as decide lists them.
using json = nlohmann::ordered_json;
using nlohmann::ordered_json;

// The exact value, as the JSON writes it (shortest round trip).
std::string exact(double d) {
  std::string s;
  append_number(&s, d);
  return s;
}

std::string fixed(double d, int decimals = 3) { return format_fixed(d, decimals); }

std::string attr(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=\"" + html_escape(value) + "\"";
}

template <class J>
double num(const J& j, const char* key, double fallback = 0.0) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->template get<double>() : fallback;
}

template <class J>
std::string str(const J& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->template get<std::string>() : std::string();
}

// The JSON text embedded in a <script> element: "</" cannot close it.
std::string script_safe(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') out += "<\\/", ++i;
    else out += text[i];
  }
  return out;
}

// A horizontal axis mapping [lo, hi] onto pixels [x0, x1].
struct Axis {
  double lo = -1, hi = 1, x0 = 0, x1 = 100;
  double x(double v) const { return x0 + (v - lo) / (hi - lo) * (x1 - x0); }
};

// A "nice" step for about `n` ticks over `span`.
double tick_step(double span, int n) {
  const double raw = span / n;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string svg_text(double x, double y, const std::string& text, const std::string& cls, const char* anchor = "start") {
  return "<text x=\"" + fixed(x, 1) + "\" y=\"" + fixed(y, 1) + "\" class=\"" + cls + "\" text-anchor=\"" + anchor +
         "\">" + html_escape(text) + "</text>";
}

std::string verdict_badge(const std::string& verdict) {
  return "<span class=\"verdict v-" + html_escape(verdict) + "\"" + attr("data-verdict", verdict) + ">" +
         html_escape(verdict) + "</span>";
}

// ---- one case ---------------------------------------------------------------

struct Bar {
  std::string name;
  double weight = 0, score = 0, contribution = 0;
  bool voted = false;
  double start = 0;                    // the running sum before it
  bool has_band = false;               // the contributions that keep the verdict
  double band_lo = 0, band_hi = 0;
};

// An id attribute made from a case id: a case id may hold spaces, commas or
// quotes, which an id, and a url(#...) reference to it, cannot.
std::string dom_id(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += std::isalnum(c) || c == '-' || c == '_' ? static_cast<char>(c) : '_';
  return out;
}

// The waterfall: each voting criterion's signed contribution from the running
// sum, then the total from zero, with the thresholds as vertical lines and,
// under each bar, the span of contributions over which the verdict holds
// (the score margins scaled by weight / sum of voting weights, as the total
// is made).
std::string contribution_chart(const json& r, const ReportPolicy& pol) {
  const json& crit = r.contains("criteria") ? r["criteria"] : json::object();
  const json* margins = r.contains("margins") ? &r["margins"] : nullptr;
  std::vector<Bar> bars;
  double weight_sum = 0;
  for (const auto& [name, c] : crit.items()) {
    Bar b;
    b.name = name;
    b.weight = num(c, "weight");
    b.voted = c.contains("contribution") && c["contribution"].is_number();
    if (b.voted) {
      b.score = num(c, "score");
      b.contribution = num(c, "contribution");
      weight_sum += b.weight;
    }
    bars.push_back(b);
  }
  const double total = num(r, "total");
  double run = 0, lo = std::min({0.0, total, pol.outsource}), hi = std::max({0.0, total, pol.insource});
  for (Bar& b : bars) {
    if (!b.voted) continue;
    b.start = run;
    run += b.contribution;
    lo = std::min(lo, run), hi = std::max(hi, run);
    if (margins && weight_sum > 0) {
      const json m = margins->value("criteria", json::object()).value(b.name, json::object());
      if (m.contains("score_low") && m["score_low"].is_number()) {
        const double k = b.weight / weight_sum;
        b.has_band = true;
        b.band_lo = b.start + k * num(m, "score_low");
        b.band_hi = b.start + k * num(m, "score_high");
        lo = std::min(lo, b.band_lo), hi = std::max(hi, b.band_hi);
      }
    }
  }
  const double pad = std::max(0.05, (hi - lo) * 0.06);
  Axis ax{lo - pad, hi + pad, 150, 690};
  const double row = 34, top = 34;
  const double height = top + row * (static_cast<double>(bars.size()) + 1) + 34;
  std::string s = "<svg class=\"chart contributions\" role=\"img\" viewBox=\"0 0 720 " + fixed(height, 0) +
                  "\" width=\"720\" height=\"" + fixed(height, 0) + "\"" + attr("data-total", exact(total)) +
                  attr("data-insource-threshold", exact(pol.insource)) +
                  attr("data-outsource-threshold", exact(pol.outsource)) + " aria-labelledby=\"t-" +
                  dom_id(str(r, "id")) + "\">";
  s += "<title id=\"t-" + dom_id(str(r, "id")) + "\">Contributions of each criterion to the weighted total " +
       fixed(total) + " of case " + html_escape(str(r, "id")) + "</title>";
  // Ticks and grid.
  const double step = tick_step(ax.hi - ax.lo, 6);
  for (double t = std::ceil(ax.lo / step) * step; t <= ax.hi + 1e-12; t += step) {
    const double x = ax.x(t);
    s += "<line class=\"grid\" x1=\"" + fixed(x, 1) + "\" x2=\"" + fixed(x, 1) + "\" y1=\"" + fixed(top - 6, 1) +
         "\" y2=\"" + fixed(height - 28, 1) + "\"/>";
    s += svg_text(x, height - 12, fixed(std::fabs(t) < 1e-12 ? 0.0 : t, 2), "tick", "middle");
  }
  // Thresholds and zero.
  auto vline = [&](double v, const std::string& cls, const std::string& label, const std::string& data) {
    const double x = ax.x(v);
    s += "<line class=\"" + cls + "\" x1=\"" + fixed(x, 1) + "\" x2=\"" + fixed(x, 1) + "\" y1=\"" + fixed(top - 14, 1) +
         "\" y2=\"" + fixed(height - 28, 1) + "\"" + data + "/>";
    if (!label.empty()) s += svg_text(x, top - 18, label, "threshold-label", "middle");
  };
  vline(0, "zero", "", "");
  vline(pol.outsource, "threshold", "outsource " + fixed(pol.outsource, 2),
        attr("data-threshold", "outsource") + attr("data-value", exact(pol.outsource)));
  vline(pol.insource, "threshold", "insource " + fixed(pol.insource, 2),
        attr("data-threshold", "insource") + attr("data-value", exact(pol.insource)));
  double y = top;
  for (const Bar& b : bars) {
    s += svg_text(140, y + 19, b.name, "label", "end");
    if (!b.voted) {
      s += svg_text(ax.x(0) + 6, y + 19, "abstained", "abstained");
      y += row;
      continue;
    }
    const double x0 = ax.x(std::min(b.start, b.start + b.contribution));
    const double x1 = ax.x(std::max(b.start, b.start + b.contribution));
    s += "<rect class=\"bar " + std::string(b.contribution >= 0 ? "pos" : "neg") + "\" x=\"" + fixed(x0, 2) +
         "\" y=\"" + fixed(y + 6, 1) + "\" width=\"" + fixed(std::max(1.0, x1 - x0), 2) + "\" height=\"16\"" +
         attr("data-criterion", b.name) + attr("data-contribution", exact(b.contribution)) +
         attr("data-start", exact(b.start)) + "><title>" + html_escape(b.name) + ": contribution " +
         signed_fixed(b.contribution) + " (weight " + fixed(b.weight, 2) + " x score " + signed_fixed(b.score, 2) +
         ")</title></rect>";
    const bool right = b.contribution >= 0;
    s += svg_text(right ? x1 + 4 : x0 - 4, y + 19, signed_fixed(b.contribution), "value", right ? "start" : "end");
    if (b.has_band) {
      const double bx0 = ax.x(b.band_lo), bx1 = ax.x(b.band_hi), by = y + 27;
      s += "<g class=\"margin\"" + attr("data-criterion", b.name) + attr("data-low", exact(b.band_lo)) +
           attr("data-high", exact(b.band_hi)) + "><title>" + html_escape(b.name) +
           ": the verdict holds while its contribution stays between " + signed_fixed(b.band_lo - b.start) + " and " +
           signed_fixed(b.band_hi - b.start) + "</title><line x1=\"" + fixed(bx0, 1) + "\" x2=\"" + fixed(bx1, 1) +
           "\" y1=\"" + fixed(by, 1) + "\" y2=\"" + fixed(by, 1) + "\"/><line x1=\"" + fixed(bx0, 1) + "\" x2=\"" +
           fixed(bx0, 1) + "\" y1=\"" + fixed(by - 3, 1) + "\" y2=\"" + fixed(by + 3, 1) + "\"/><line x1=\"" +
           fixed(bx1, 1) + "\" x2=\"" + fixed(bx1, 1) + "\" y1=\"" + fixed(by - 3, 1) + "\" y2=\"" + fixed(by + 3, 1) +
           "\"/></g>";
    }
    y += row;
  }
  // The total, from zero, and its distance to the nearer threshold.
  s += svg_text(140, y + 19, "total", "label total", "end");
  const double tx0 = ax.x(std::min(0.0, total)), tx1 = ax.x(std::max(0.0, total));
  s += "<rect class=\"bar total " + std::string(total >= 0 ? "pos" : "neg") + "\" x=\"" + fixed(tx0, 2) + "\" y=\"" +
       fixed(y + 4, 1) + "\" width=\"" + fixed(std::max(1.0, tx1 - tx0), 2) + "\" height=\"20\"" +
       attr("data-total", exact(total)) + "><title>weighted total " + signed_fixed(total) + "</title></rect>";
  s += svg_text(total >= 0 ? tx1 + 4 : tx0 - 4, y + 19, signed_fixed(total), "value total", total >= 0 ? "start" : "end");
  if (weight_sum > 0) {
    const double to_in = pol.insource - total, to_out = total - pol.outsource;
    const bool in_nearer = std::fabs(to_in) <= std::fabs(to_out);
    const double target = in_nearer ? pol.insource : pol.outsource;
    const double ty = y + 31;
    s += "<g class=\"flip\"" + attr("data-to", in_nearer ? "insource" : "outsource") +
         attr("data-distance", exact(in_nearer ? to_in : to_out)) + "><line x1=\"" + fixed(ax.x(total), 1) + "\" x2=\"" +
         fixed(ax.x(target), 1) + "\" y1=\"" + fixed(ty, 1) + "\" y2=\"" + fixed(ty, 1) + "\" marker-end=\"url(#arrow-" +
         dom_id(str(r, "id")) + ")\"/>" +
         "<title>" + signed_fixed(target - total) + " to the " + (in_nearer ? "insource" : "outsource") +
         " threshold</title></g>";
  }
  s += "<defs><marker id=\"arrow-" + dom_id(str(r, "id")) + "\" viewBox=\"0 0 8 8\" refX=\"7\" refY=\"4\" markerWidth=\"6\" markerHeight=\"6\" "
       "orient=\"auto-start-reverse\"><path d=\"M0,0 L8,4 L0,8 z\" class=\"arrowhead\"/></marker></defs>";
  s += "</svg>";
  return s;
}

std::string criteria_table(const json& r) {
  std::string s =
      "<table class=\"criteria\"><caption>Criteria: weight, score, contribution and rationale</caption><thead><tr>"
      "<th scope=\"col\">criterion</th><th scope=\"col\" class=\"num\">weight</th><th scope=\"col\" class=\"num\">score</th>"
      "<th scope=\"col\" class=\"num\">contribution</th><th scope=\"col\">rationale</th></tr></thead><tbody>";
  if (!r.contains("criteria")) return s + "</tbody></table>";
  for (const auto& [name, c] : r["criteria"].items()) {
    const bool voted = c.contains("contribution") && c["contribution"].is_number();
    s += "<tr" + attr("data-criterion", name) + attr("data-weight", exact(num(c, "weight")));
    if (voted) s += attr("data-score", exact(num(c, "score"))) + attr("data-contribution", exact(num(c, "contribution")));
    else s += attr("data-abstained", "true");
    s += "><th scope=\"row\">" + html_escape(name) + "</th><td class=\"num\">" + fixed(num(c, "weight"), 2) + "</td>";
    if (voted)
      s += "<td class=\"num\">" + signed_fixed(num(c, "score"), 3) + "</td><td class=\"num\">" +
           signed_fixed(num(c, "contribution")) + "</td>";
    else
      s += "<td class=\"num\" colspan=\"2\">abstained</td>";
    std::string why = html_escape(str(c, "rationale"));
    if (c.contains("fault")) why += " <em>(plugin fault: " + html_escape(c["fault"].value("message", "")) + ")</em>";
    s += "<td class=\"rationale\">" + why + "</td></tr>";
  }
  return s + "</tbody></table>";
}

std::string trace_table(const json& r) {
  if (!r.contains("overrides") || r["overrides"].empty()) return "<p class=\"muted\">The policy has no overrides.</p>";
  std::string s =
      "<table class=\"trace\"><caption>Override trace, in the order the overrides are checked</caption><thead><tr>"
      "<th scope=\"col\">override</th><th scope=\"col\">verdict</th><th scope=\"col\">condition</th>"
      "<th scope=\"col\">facts read</th><th scope=\"col\">outcome</th></tr></thead><tbody>";
  for (const json& o : r["overrides"]) {
    const bool decided = o.value("decided", false);
    const bool reached = o.value("reached", false);
    std::string reads;
    const json read = o.value("reads", json::object());  // kept: items() would outlive a temporary
    for (const auto& [k, v] : read.items())
      reads += (reads.empty() ? "" : ", ") + html_escape(k) + " = " + html_escape(v.is_string() ? v.get<std::string>() : v.dump());
    std::string outcome = !reached ? "not reached" : str(o, "outcome");
    if (decided) outcome += ": decided";
    s += "<tr" + attr("data-override", str(o, "id")) + attr("data-outcome", str(o, "outcome")) +
         attr("data-decided", decided ? "true" : "false") + (decided ? " class=\"decided\"" : "") + "><th scope=\"row\">" +
         html_escape(str(o, "id")) + "</th><td>" + verdict_badge(str(o, "verdict")) + "</td><td><code>" +
         html_escape(str(o, "when")) + "</code></td><td>" + (reads.empty() ? "-" : reads) + "</td><td>" +
         html_escape(outcome) + "</td></tr>";
  }
  return s + "</tbody></table>";
}

// The "simulation" object of a record (tools/simulate_report.h): each
// verdict's probability with its 95% interval, the total's quantiles and
// histogram, and the drivers. Every number drawn is also in a data-
// attribute, as written in the JSON, for the tests that read them back.
std::string simulation_html(const json& sim, const ReportPolicy& pol) {
  auto num = [](const json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0; };
  std::string s = "<div class=\"simulated\"><h3>How sure: the simulation of the uncertain inputs</h3><p>" +
                  html_escape(sim.value("draws", json(0)).dump()) + " draws, seed " +
                  html_escape(sim.value("seed", json(0)).dump()) +
                  "; the verdict above is the one at the most likely values.</p>";
  const json probs = sim.value("probabilities", json::object());
  const json intervals = sim.value("intervals", json::object());
  if (probs.is_object() && !probs.empty()) {
    s += "<table class=\"simulation\"><caption>Verdict probabilities</caption><thead><tr><th scope=\"col\">verdict</th>"
         "<th scope=\"col\" class=\"num\">probability</th><th scope=\"col\" class=\"num\">95% interval</th>"
         "<th scope=\"col\"><span class=\"sr-only\">bar with its interval</span></th></tr></thead><tbody>";
    for (const auto& [v, p] : probs.items()) {
      const double x = p.is_number() ? p.get<double>() : 0.0;
      double lo = x, hi = x;
      if (intervals.contains(v) && intervals[v].is_array() && intervals[v].size() == 2 && intervals[v][0].is_number() &&
          intervals[v][1].is_number())
        lo = intervals[v][0].get<double>(), hi = intervals[v][1].get<double>();
      s += "<tr" + attr("data-verdict", v) + attr("data-probability", exact(x)) + attr("data-interval-low", exact(lo)) +
           attr("data-interval-high", exact(hi)) + "><th scope=\"row\">" + verdict_badge(v) + "</th><td class=\"num\">" +
           fixed(100 * x, 1) + "%</td><td class=\"num\">" + fixed(100 * lo, 1) + "&ndash;" + fixed(100 * hi, 1) +
           "%</td><td><svg width=\"200\" height=\"12\" aria-hidden=\"true\"><rect class=\"bar pos\" x=\"0\" y=\"1\" "
           "height=\"10\" width=\"" + fixed(200 * x, 1) + "\"/><line class=\"whisker\" x1=\"" + fixed(200 * lo, 1) +
           "\" x2=\"" + fixed(200 * hi, 1) + "\" y1=\"6\" y2=\"6\"/></svg></td></tr>";
    }
    s += "</tbody></table>";
  }
  const json total = sim.value("total", json::object());
  if (total.is_object() && !total.empty()) {
    s += "<p class=\"quantiles\"" + attr("data-p5", exact(num(total, "p5"))) + attr("data-p50", exact(num(total, "p50"))) +
         attr("data-p95", exact(num(total, "p95"))) + attr("data-mean", exact(num(total, "mean"))) +
         ">Weighted total: 90% of the draws between " + fixed(num(total, "p5")) + " and " + fixed(num(total, "p95")) +
         ", median " + fixed(num(total, "p50")) + ", mean " + fixed(num(total, "mean")) + ".</p>";
  }
  // The total's histogram, with p5, p50 and p95 marked, and the thresholds
  // that fall inside its range (the mass beyond one is that verdict's share,
  // overrides aside).
  std::vector<double> edges, counts;
  if (sim.contains("histogram") && sim["histogram"].is_object()) {
    for (const auto& e : sim["histogram"].value("edges", json::array())) if (e.is_number()) edges.push_back(e.get<double>());
    for (const auto& c : sim["histogram"].value("counts", json::array())) if (c.is_number()) counts.push_back(c.get<double>());
  }
  if (edges.size() == counts.size() + 1 && !counts.empty()) {
    const double peak = *std::max_element(counts.begin(), counts.end());
    const double lo = edges.front(), hi = edges.back() > lo ? edges.back() : lo + 1e-9;
    Axis ax{lo, hi, 40, 680};
    std::string svg = "<svg class=\"chart histogram\" role=\"img\" viewBox=\"0 0 720 150\" width=\"720\" height=\"150\">"
                      "<title>Distribution of the weighted total over the draws</title>";
    for (size_t i = 0; i < counts.size(); ++i) {
      const double h = peak > 0 ? 100 * counts[i] / peak : 0;
      const double x0 = ax.x(edges[i]), x1 = ax.x(edges[i + 1]);
      svg += "<rect class=\"bar pos\" x=\"" + fixed(x0, 1) + "\" y=\"" + fixed(120 - h, 1) + "\" width=\"" +
             fixed(std::max(1.0, x1 - x0 - 1), 1) + "\" height=\"" + fixed(h, 1) + "\"" + attr("data-count", exact(counts[i])) +
             attr("data-from", exact(edges[i])) + attr("data-to", exact(edges[i + 1])) + "/>";
    }
    for (const char* q : {"p5", "p50", "p95"}) {
      if (!total.is_object() || !total.contains(q)) continue;
      const double x = ax.x(std::clamp(num(total, q), lo, hi));
      svg += "<line class=\"quantile\" x1=\"" + fixed(x, 1) + "\" x2=\"" + fixed(x, 1) + "\" y1=\"14\" y2=\"120\"/>" +
             svg_text(x, 11, q, "threshold-label", "middle");
    }
    for (const auto& [name, t] : {std::pair<const char*, double>{"outsource", pol.outsource}, {"insource", pol.insource}}) {
      if (t <= lo || t >= hi) continue;
      const double x = ax.x(t);
      svg += "<line class=\"threshold\" x1=\"" + fixed(x, 1) + "\" x2=\"" + fixed(x, 1) + "\" y1=\"14\" y2=\"126\"" +
             attr("data-threshold", name) + attr("data-value", exact(t)) + "/>" +
             svg_text(x, 138, std::string(name) + " " + fixed(t, 2), "threshold-label", "middle");
    }
    svg += svg_text(40, 138, fixed(lo, 2), "tick", "middle") + svg_text(680, 138, fixed(edges.back(), 2), "tick", "middle") +
           "</svg>";
    s += svg;
  }
  const json drivers = sim.value("drivers", json::array());
  if (drivers.is_array() && !drivers.empty()) {
    s += "<table class=\"drivers\"><caption>What drives the outcome: the change in the leading verdict's probability "
         "when the input is fixed at its median</caption><thead><tr><th scope=\"col\">input</th>"
         "<th scope=\"col\" class=\"num\">effect</th></tr></thead><tbody>";
    for (const json& d : drivers) {
      const std::string fact = d.value("fact", "");
      const double e = num(d, "effect");
      s += "<tr" + attr("data-fact", fact) + attr("data-effect", exact(e)) + "><th scope=\"row\">" + html_escape(fact) +
           "</th><td class=\"num\">" + (e >= 0 ? "+" : "") + fixed(100 * e, 1) + " points</td></tr>";
    }
    s += "</tbody></table>";
  }
  return s + "</div>";
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

ReportPolicy report_policy_of(const Policy& p, const std::string& revision) {
  ReportPolicy r;
  r.name = p.rules().name;
  r.file = p.rules().file;
  r.revision = revision;
  r.insource = p.thresholds().insource;
  r.outsource = p.thresholds().outsource;
  return r;
}

ordered_json case_report_record(const Policy& p, const CaseFacts& c, const Decision& d) {
  ordered_json j = explain_json(p, c, d, ExplainLevel::kTrace);
  if (!d.failed) j["margins_words"] = margins_text(p, compute_margins(p, c, d), "");
  j["thresholds"] = {{"insource", p.thresholds().insource}, {"outsource", p.thresholds().outsource}};
  return j;
}

std::string case_section_html(const ordered_json& record, const ReportPolicy& pol) {
  const json& r = record;
  const std::string id = str(r, "id");
  std::string s = "<section class=\"case\"" + attr("data-case", id) + ">";
  s += "<h2>Case <span class=\"case-id\">" + html_escape(id) + "</span></h2>";
  if (r.contains("error")) {
    s += "<p class=\"error\" data-error-kind=\"" + html_escape(r["error"].value("kind", "")) + "\">No verdict: " +
         html_escape(r["error"].value("message", "")) + "</p></section>";
    return s;
  }
  const std::string verdict = str(r, "verdict");
  const double total = num(r, "total");
  s += "<p class=\"headline\">Verdict " + verdict_badge(verdict) + " with weighted total <strong class=\"total\"" +
       attr("data-total", exact(total)) + ">" + signed_fixed(total) + "</strong>.</p>";
  if (r.contains("rule") && r["rule"].is_string())
    s += "<p class=\"decided-by\"" + attr("data-rule", r["rule"].get<std::string>()) + ">Decided by override <strong>" +
         html_escape(r["rule"].get<std::string>()) + "</strong>: " + html_escape(str(r, "reason")) + "</p>";
  else
    s += "<p class=\"decided-by\" data-rule=\"\">Decided by the weighted vote: " + html_escape(str(r, "reason")) + ".</p>";
  if (r.contains("summary")) s += "<p class=\"summary\">" + html_escape(str(r, "summary")) + "</p>";
  s += "<figure>" + contribution_chart(r, pol) +
       "<figcaption>Each bar is a criterion's signed contribution (weight x score, over the sum of the voting weights), "
       "starting where the previous one ended; the last bar is the total from zero. Dashed lines: the thresholds. "
       "The bracket under a bar: how far its contribution may move with the verdict unchanged. The arrow: the "
       "distance from the total to the nearer threshold.</figcaption></figure>";
  s += criteria_table(r);
  if (r.contains("margins_words")) {
    s += "<h3>What would change the verdict</h3><ul class=\"margins\">";
    std::string words = str(r, "margins_words");
    size_t at = 0;
    while (at < words.size()) {
      size_t nl = words.find('\n', at);
      if (nl == std::string::npos) nl = words.size();
      std::string line = words.substr(at, nl - at);
      const size_t first = line.find_first_not_of(' ');
      if (first != std::string::npos) s += "<li>" + html_escape(line.substr(first)) + "</li>";
      at = nl + 1;
    }
    s += "</ul>";
  }
  s += "<h3>Override trace</h3>" + trace_table(r);
  if (r.contains("simulation") && r["simulation"].is_object()) s += simulation_html(r["simulation"], pol);
  return s + "</section>";
}

void BatchSummary::add(const nlohmann::json& r, uint64_t line) {
  ++records_;
  if (r.contains("error")) {
    const auto& e = r["error"];
    errors_.push_back({r.contains("line") && r["line"].is_number_unsigned() ? r["line"].get<uint64_t>() : line,
                       str(r, "id"), e.is_object() ? e.value("kind", "") : "", e.is_object() ? e.value("message", "") : ""});
    return;
  }
  ++decided_;
  const std::string v = str(r, "verdict");
  ++verdicts_[v];
  const bool by_rule = r.contains("rule") && r["rule"].is_string();
  ++rules_[by_rule ? r["rule"].get<std::string>() : ""];
  auto score = [&](const std::string& name, const nlohmann::json& value) {
    auto& h = bins_[name];
    if (h.empty()) criteria_.push_back(name), h.resize(10);
    if (!value.is_number()) {
      ++abstained_[name];
      return;
    }
    ++h[static_cast<size_t>(std::clamp((value.get<double>() + 1.0) / 0.2, 0.0, 9.0))];
  };
  if (r.contains("scores") && r["scores"].is_object())
    for (const auto& [name, value] : r["scores"].items()) score(name, value);
  else if (r.contains("criteria") && r["criteria"].is_object())
    for (const auto& [name, c] : r["criteria"].items()) score(name, c.value("score", nlohmann::json()));
  if (!by_rule) {
    const double t = num(r, "total");
    const double di = std::fabs(policy_.insource - t), dout = std::fabs(t - policy_.outsource);
    Near n{str(r, "id"), v, di <= dout ? "insource" : "outsource", t, std::min(di, dout)};
    // Kept sorted; a later case at the same distance goes after the earlier ones.
    auto at = std::upper_bound(near_.begin(), near_.end(), n.distance,
                               [](double d, const Near& x) { return d < x.distance; });
    if (static_cast<size_t>(at - near_.begin()) < closest_) {
      near_.insert(at, std::move(n));
      if (near_.size() > closest_) near_.pop_back();
    }
  }
}

nlohmann::json BatchSummary::numbers() const {
  nlohmann::json j;
  j["records"] = records_;
  j["decided"] = decided_;
  j["verdicts"] = verdicts_;
  nlohmann::json rules = nlohmann::json::object();
  for (const auto& [rule, n] : rules_) rules[rule.empty() ? "(weighted vote)" : rule] = n;
  j["decided_by"] = rules;
  nlohmann::json scores = nlohmann::json::object();
  for (const std::string& c : criteria_) {
    auto a = abstained_.find(c);
    scores[c] = {{"bins", bins_.at(c)}, {"abstained", a == abstained_.end() ? 0 : a->second}};
  }
  j["scores"] = scores;
  nlohmann::json near = nlohmann::json::array();
  for (const Near& n : near_)
    near.push_back({{"id", n.id}, {"verdict", n.verdict}, {"total", n.total}, {"threshold", n.threshold}, {"distance", n.distance}});
  j["closest"] = near;
  nlohmann::json errors = nlohmann::json::array();
  for (const Error& e : errors_) errors.push_back({{"line", e.line}, {"id", e.id}, {"kind", e.kind}, {"message", e.message}});
  j["errors"] = errors;
  return j;
}

std::string BatchSummary::html() const {
  std::string s = "<section class=\"batch\"" + attr("data-records", std::to_string(records_)) +
                  attr("data-decided", std::to_string(decided_)) + attr("data-errors", std::to_string(errors_.size())) + ">";
  s += "<h2>Batch: " + std::to_string(records_) + (records_ == 1 ? " record, " : " records, ") + std::to_string(decided_) +
       " decided, " + std::to_string(errors_.size()) + (errors_.size() == 1 ? " error" : " errors") + "</h2>";
  // Cases per verdict.
  uint64_t peak = 1;
  for (const auto& [v, n] : verdicts_) peak = std::max(peak, n);
  const std::string h = std::to_string(20 + 28 * verdicts_.size());
  s += "<figure><svg class=\"chart verdicts\" role=\"img\" viewBox=\"0 0 720 " + h + "\" width=\"720\" height=\"" + h +
       "\"><title>Cases per verdict</title>";
  double y = 10;
  for (const auto& [v, n] : verdicts_) {
    const double w = 440.0 * static_cast<double>(n) / static_cast<double>(peak);
    s += svg_text(200, y + 15, v, "label", "end") + "<rect class=\"bar v-" + html_escape(v) + "\" x=\"210\" y=\"" +
         fixed(y + 2, 1) + "\" height=\"18\" width=\"" + fixed(std::max(1.0, w), 1) + "\"" + attr("data-verdict", v) +
         attr("data-count", std::to_string(n)) + "/>" + svg_text(216 + w, y + 15, std::to_string(n), "value");
    y += 28;
  }
  s += "</svg><figcaption>Cases per verdict</figcaption></figure>";
  // Score distributions.
  s += "<h3>Score distribution of each criterion</h3><div class=\"histograms\">";
  for (const std::string& c : criteria_) {
    const auto& bins = bins_.at(c);
    const auto a = abstained_.find(c);
    const uint64_t abstained = a == abstained_.end() ? 0 : a->second;
    uint64_t top = 1;
    for (uint64_t n : bins) top = std::max(top, n);
    std::string counts;
    for (size_t k = 0; k < bins.size(); ++k) {  // appended piece by piece: GCC 12 sees a false overlap in "," + string
      if (k) counts += ',';
      counts += std::to_string(bins[k]);
    }
    s += "<figure class=\"histogram\"><svg class=\"chart scores\" role=\"img\" viewBox=\"0 0 230 110\" width=\"230\" "
         "height=\"110\"" + attr("data-criterion", c) + attr("data-bins", counts) +
         attr("data-abstained", std::to_string(abstained)) + "><title>Scores of " + html_escape(c) +
         " in ten bins from -1 to 1</title>";
    for (size_t k = 0; k < bins.size(); ++k) {
      const double bh = 70.0 * static_cast<double>(bins[k]) / static_cast<double>(top);
      s += "<rect class=\"bar " + std::string(k < 5 ? "neg" : "pos") + "\" x=\"" + fixed(15 + 20.0 * k, 1) + "\" y=\"" +
           fixed(80 - bh, 1) + "\" width=\"18\" height=\"" + fixed(bh, 1) + "\"" + attr("data-count", std::to_string(bins[k])) +
           "><title>" + fixed(-1 + 0.2 * k, 1) + " to " + fixed(-0.8 + 0.2 * k, 1) + ": " + std::to_string(bins[k]) +
           "</title></rect>";
    }
    s += "<line class=\"zero\" x1=\"114\" x2=\"114\" y1=\"5\" y2=\"82\"/>" + svg_text(15, 96, "-1", "tick", "middle") +
         svg_text(114, 96, "0", "tick", "middle") + svg_text(215, 96, "+1", "tick", "middle") + "</svg><figcaption>" +
         html_escape(c) + " (" + std::to_string(abstained) + " abstained)</figcaption></figure>";
  }
  s += "</div>";
  // What decided.
  s += "<table class=\"rules\"><caption>What decided the cases</caption><thead><tr><th scope=\"col\">decided by</th>"
       "<th scope=\"col\" class=\"num\">cases</th></tr></thead><tbody>";
  for (const auto& [rule, n] : rules_)
    s += "<tr" + attr("data-rule", rule) + attr("data-count", std::to_string(n)) + "><th scope=\"row\">" +
         (rule.empty() ? std::string("the weighted vote") : "override " + html_escape(rule)) + "</th><td class=\"num\">" +
         std::to_string(n) + "</td></tr>";
  s += "</tbody></table>";
  // Closest to a threshold.
  s += "<table class=\"closest\"><caption>Cases closest to a threshold (decided by the vote)</caption><thead><tr>"
       "<th scope=\"col\">case</th><th scope=\"col\">verdict</th><th scope=\"col\" class=\"num\">total</th><th scope=\"col\">"
       "nearer threshold</th><th scope=\"col\" class=\"num\">distance</th></tr></thead><tbody>";
  for (const Near& n : near_)
    s += "<tr" + attr("data-case", n.id) + attr("data-total", exact(n.total)) + attr("data-distance", exact(n.distance)) +
         "><th scope=\"row\">" + html_escape(n.id) + "</th><td>" + verdict_badge(n.verdict) + "</td><td class=\"num\">" +
         signed_fixed(n.total) + "</td><td>" + n.threshold + "</td><td class=\"num\">" + fixed(n.distance) + "</td></tr>";
  s += "</tbody></table>";
  // Every error record.
  s += "<table class=\"errors\"><caption>Error records (" + std::to_string(errors_.size()) +
       ")</caption><thead><tr><th scope=\"col\">line</th><th scope=\"col\">case</th><th scope=\"col\">kind</th>"
       "<th scope=\"col\">message</th></tr></thead><tbody>";
  for (const Error& e : errors_)
    s += "<tr" + attr("data-line", std::to_string(e.line)) + attr("data-kind", e.kind) + "><th scope=\"row\">" +
         std::to_string(e.line) + "</th><td>" + html_escape(e.id) + "</td><td>" + html_escape(e.kind) + "</td><td>" +
         html_escape(e.message) + "</td></tr>";
  return s + "</tbody></table></section>";
}

std::string_view report_css() {
  return R"css(
:root { --ink:#1b1f24; --muted:#4a5561; --line:#c9d1d9; --pos:#1d6b48; --neg:#a4400b; --bg:#fff; --accent:#0b5cad; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); margin: 0 auto; max-width: 1040px; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.3rem; margin: 1.5rem 0 .5rem; } h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.muted, figcaption, .policy { color: var(--muted); font-size: .9rem; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.rationale { color: var(--muted); }
tr.decided { background: #fff4d6; }
.verdict { display: inline-block; padding: .05rem .5rem; border-radius: .8rem; font-weight: 600; color: #fff; background: #4a5561; white-space: nowrap; }
.v-insource { background: #1d6b48; } .v-outsource { background: #a4400b; } .v-hybrid { background: #5b3c99; }
.v-outsource-then-insource { background: #8a5a00; } .v-insource-then-outsource { background: #0b5cad; } .v-review { background: #4a5561; }
svg.chart { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg .grid { stroke: #e4e8ec; } svg .zero { stroke: var(--ink); stroke-width: 1; }
svg .threshold { stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .threshold-label { fill: var(--accent); font-weight: 600; }
svg .bar.pos { fill: var(--pos); } svg .bar.neg { fill: var(--neg); } svg .bar.total { fill: var(--ink); }
svg rect.v-insource { fill: #1d6b48; } svg rect.v-outsource { fill: #a4400b; } svg rect.v-hybrid { fill: #5b3c99; }
svg rect.v-outsource-then-insource { fill: #8a5a00; } svg rect.v-insource-then-outsource { fill: #0b5cad; } svg rect.v-review { fill: #4a5561; }
svg .label { fill: var(--ink); } svg .value, svg .tick, svg .abstained { fill: var(--muted); }
/* Values may sit on a threshold line or a margin bracket: a halo keeps them legible. */
svg .value, svg .threshold-label { paint-order: stroke; stroke: var(--bg); stroke-width: 3px; stroke-linejoin: round; }
svg .margin line { stroke: var(--accent); stroke-width: 1.5; }
svg .flip line { stroke: var(--accent); stroke-width: 2; } svg .arrowhead { fill: var(--accent); }
svg .whisker { stroke: var(--ink); stroke-width: 2; } svg .quantile { stroke: var(--accent); stroke-width: 1.5; stroke-dasharray: 3 3; }
.histograms { display: flex; flex-wrap: wrap; gap: .5rem 1rem; }
.histogram { margin: 0; }
figure { margin: .5rem 0 1rem; }
.error { color: #8b1a1a; font-weight: 600; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  section.case, section.batch { break-before: page; page-break-before: always; }
  section.case:first-of-type, section.batch:first-of-type { break-before: auto; page-break-before: auto; }
  table, figure { break-inside: avoid; page-break-inside: avoid; }
  .verdict { border: 1px solid #000; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  svg { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";
}

std::string report_document(const std::string& title, const ReportPolicy& pol, const std::string& body,
                             const std::string& embedded_json) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                  // Nothing may be fetched from anywhere: the file must read the same offline.
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
                  "img-src data:\">"
                  "<title>" + html_escape(title) + "</title><style>" + std::string(report_css()) + "</style></head><body>";
  s += "<header><h1>" + html_escape(title) + "</h1><p class=\"policy\"" + attr("data-revision", pol.revision) + ">Policy " +
       html_escape(pol.name.empty() ? pol.file : pol.name) + " (" + html_escape(pol.file) + "), revision <code>" +
       html_escape(pol.revision.substr(0, 12)) + "</code>; thresholds insource " + signed_fixed(pol.insource, 2) +
       ", outsource " + signed_fixed(pol.outsource, 2) + ".</p></header><main>";
  s += body;
  s += "</main><script type=\"application/json\" id=\"insource-records\">" + script_safe(embedded_json) +
       "</script></body></html>\n";
  return s;
}

}  // namespace insource
