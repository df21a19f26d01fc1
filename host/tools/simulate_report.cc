#include "tools/simulate_report.h"

#include <algorithm>
#include <cstdio>

#include "io/report.h"

namespace insource {

nlohmann::ordered_json simulation_json(const Simulation& s) {
  nlohmann::ordered_json j;
  j["draws"] = s.draws;
  j["seed"] = s.seed;
  nlohmann::ordered_json probs = nlohmann::ordered_json::object(), intervals = nlohmann::ordered_json::object();
  for (int v = 0; v < kVerdictCount; ++v) {
    if (s.counts[static_cast<size_t>(v)] == 0) continue;
    const Verdict verdict = static_cast<Verdict>(v);
    const std::string name(verdict_name(verdict));
    probs[name] = s.probability(verdict);
    const auto iv = s.interval(verdict);
    intervals[name] = {iv[0], iv[1]};
  }
  j["probabilities"] = probs;
  j["intervals"] = intervals;
  j["total"] = {{"p5", s.p5}, {"p50", s.p50}, {"p95", s.p95}, {"mean", s.mean}};
  nlohmann::ordered_json drivers = nlohmann::ordered_json::array();
  for (const SimulationDriver& d : s.drivers) drivers.push_back({{"fact", d.input}, {"effect", d.effect}});
  j["drivers"] = drivers;
  if (!s.histogram_counts.empty())
    j["histogram"] = {{"edges", s.histogram_edges}, {"counts", s.histogram_counts}};
  if (s.failed) j["failed"] = s.failed;
  return j;
}


std::string simulation_text(const Simulation& s) {
  std::string out = "  simulation: " + std::to_string(s.draws) + " draws, seed " + std::to_string(s.seed) + ", " +
                    std::to_string(s.inputs) + " uncertain input" + (s.inputs == 1 ? "" : "s") +
                    " (the verdict above is at their most likely values)\n\n";
  out += "  verdict                  probability  95% interval\n";
  for (int v = 0; v < kVerdictCount; ++v) {
    if (s.counts[static_cast<size_t>(v)] == 0) continue;
    const Verdict verdict = static_cast<Verdict>(v);
    const auto iv = s.interval(verdict);
    out += "  " + pad_right(std::string(verdict_name(verdict)), 25) + pad_right(format_fixed(s.probability(verdict), 3), 13) + "[" +
           format_fixed(iv[0], 3) + ", " + format_fixed(iv[1], 3) + "]\n";
  }
  if (s.failed) out += "  " + pad_right("(no verdict: plugin fault)", 25) + format_fixed(static_cast<double>(s.failed) / static_cast<double>(s.draws), 3) + "\n";
  out += "\n  total: p5 " + signed_fixed(s.p5) + ", p50 " + signed_fixed(s.p50) + ", p95 " + signed_fixed(s.p95) +
         ", mean " + signed_fixed(s.mean) + "\n";
  if (!s.drivers.empty()) {
    out += "\n  drivers: change in P(" + std::string(verdict_name(s.leading)) + ") when the input is fixed at its median\n";
    size_t width = 0;
    for (const SimulationDriver& d : s.drivers) width = std::max(width, d.input.size());
    for (const SimulationDriver& d : s.drivers) out += "  " + pad_right(d.input, width + 2) + signed_fixed(d.effect) + "\n";
  }
  return out;
}

}  // namespace insource
