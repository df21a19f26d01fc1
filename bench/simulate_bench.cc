// Monte Carlo verdicts (issue 13): 10,000 draws of a case with five uncertain
// facts, on one thread, with the default policy and the built-in plugins.
// The goal is under 20 ms a simulation.
//
//   build/bin/insource_simulate_bench
//
// Simulate: draws and verdicts only. SimulateWithDrivers: also each input
// fixed at its median (one more decision a draw per input that differs from
// its median), as `decide --simulate` reports it.
#include <benchmark/benchmark.h>

#include "io/case_reader.h"
#include "policy/policy.h"
#include "tools/simulate.h"

namespace insource {
namespace {

const char kCase[] = R"(id: five-uncertain
facts:
  cost:
    hours: {low: 800, likely: 1200, high: 2000}
    internal_rate: 85
    external_rate: {uniform: [50, 75]}
    opportunity_rate: {normal: {mean: 30, sd: 10}}
    transition: 5000
  capacity: {utilization: 1.0}
  control: {institutional_knowledge: {high: 0.6, medium: 0.4}, core_competence: false, customer_facing: true, change_frequency: high}
  security: {system_access: front_office, data_sensitivity: internal, vendor_certified: {p_true: 0.7}}
  legal: {vendor_jurisdiction: domestic, regulated: false, ip_sensitive: true}
  training: {complexity: medium, expertise_in_house: false, internal_ramp_weeks: 1, external_ramp_weeks: 4}
)";

void run(benchmark::State& state, bool drivers) {
  auto policy = load_policy("", load_plugins({INSOURCE_PLUGIN_DIR}));
  auto cases = read_cases(kCase, "bench.yaml", policy->schema());
  if (!cases[0].value || cases[0].value->uncertain.size() != 5) {
    state.SkipWithError("the bench case did not read with five uncertain facts");
    return;
  }
  SimulationOptions o;
  o.draws = 10000;
  o.drivers = drivers;
  Evaluator ev(policy);
  for (auto _ : state) {
    Simulation s = simulate(policy, *cases[0].value, o, &ev);
    benchmark::DoNotOptimize(s.counts);
  }
  state.counters["draws/s"] = benchmark::Counter(static_cast<double>(state.iterations() * o.draws), benchmark::Counter::kIsRate);
}

void BM_Simulate10kDraws5Facts(benchmark::State& state) { run(state, false); }
BENCHMARK(BM_Simulate10kDraws5Facts)->Unit(benchmark::kMillisecond);

void BM_Simulate10kDraws5FactsWithDrivers(benchmark::State& state) { run(state, true); }
BENCHMARK(BM_Simulate10kDraws5FactsWithDrivers)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace insource

BENCHMARK_MAIN();
