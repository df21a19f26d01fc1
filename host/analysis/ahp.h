// The analytic hierarchy process (Saaty): weights from pairwise judgements.
// A judgement "a over b = 3" says a matters three times as much as b, on
// Saaty's 1-9 scale or its reciprocals. Several judges are combined by the
// geometric mean of their judgements (which keeps the matrix reciprocal).
// The weights are the principal eigenvector of the comparison matrix and the
// consistency ratio says how far the judgements contradict one another.
#ifndef INSOURCE_ANALYSIS_AHP_H_
#define INSOURCE_ANALYSIS_AHP_H_

#include <string>
#include <vector>

#include "core/source_pos.h"
#include "policy/input_limits.h"

namespace insource {

// A square positive reciprocal matrix, row-major: a[i*n+j] = importance of i over j.
struct AhpMatrix {
  int n = 0;
  std::vector<double> a;
  double at(int i, int j) const { return a[static_cast<size_t>(i * n + j)]; }
  double& at(int i, int j) { return a[static_cast<size_t>(i * n + j)]; }
};

// The largest matrix with a published random index (Saaty's table).
inline constexpr int kAhpMaxCriteria = 15;

// Saaty's random consistency index for n criteria (0 for n <= 2).
double ahp_random_index(int n);

struct AhpEigen {
  std::vector<double> weights;  // principal eigenvector, summing to 1
  double lambda_max = 0.0;
  double ci = 0.0;  // (lambda_max - n) / (n - 1)
  double cr = 0.0;  // ci / random index (0 when n <= 2)
  int iterations = 0;
};

// Power iteration until no weight moves by more than 1e-12.
AhpEigen ahp_solve(const AhpMatrix& m);

// The consistency ratio above which the judgements are refused.
inline constexpr double kAhpMaxConsistencyRatio = 0.10;

// One judgement worth revisiting: replacing a(i,j) by `suggested` (the value
// on Saaty's scale that lowers the consistency ratio most, the other
// judgements kept) gives `cr_after`.
struct AhpSuggestion {
  int i = 0, j = 0;
  double current = 0.0;
  double suggested = 0.0;
  double cr_after = 0.0;
};

// The judgements that add most to the inconsistency, most first: each pair
// i < j, ranked by the consistency ratio reached by the best single change to
// it. Returns at most `limit`.
std::vector<AhpSuggestion> ahp_suggestions(const AhpMatrix& m, size_t limit);

// When no single change is enough: changes made one after another, each the
// best single change to the matrix as changed so far, until CR <= 0.10 (at
// most one per pair). Each entry's cr_after is the CR once it and those
// before it are made. Empty when the matrix is consistent already.
std::vector<AhpSuggestion> ahp_repair(const AhpMatrix& m);

// Saaty's scale: 1/9 ... 1/2, 1, 2 ... 9.
const std::vector<double>& ahp_scale();

// "3", "1/5", or a rounded decimal for an aggregated value.
std::string ahp_value_text(double v);

// Pairwise judgements as read from a file: the criteria in order and one
// matrix per judge.
struct AhpJudgements {
  std::string file;
  std::vector<std::string> criteria;
  std::vector<std::string> judges;  // names; one "judge" when the file has no `judges`
  std::vector<AhpMatrix> matrices;  // one per judge
};

// Reads judgements from YAML text. One judge:
//   judgements:
//     cost: {control: 3, security: 5}
//     control: {security: 2}
// or several, aggregated by geometric mean:
//   judges:
//     alice: {cost: {control: 3}, ...}
// with an optional `criteria: [cost, control, security]` fixing the order.
// Every pair must be judged once by each judge (in either direction; both
// directions are accepted when they are reciprocal). Throws RulesError with
// file:line:column for each problem.
// The text is held to `limits` (nesting, expanded nodes).
AhpJudgements read_ahp_judgements(const std::string& text, const std::string& label,
                                  const InputLimits& limits = InputLimits{});

// The judges' matrices combined element-wise by geometric mean.
AhpMatrix ahp_aggregate(const std::vector<AhpMatrix>& judges);

// The full result for a judgement file, as the CLI and the server report it.
struct AhpResult {
  AhpJudgements judgements;
  AhpMatrix matrix;  // aggregated
  AhpEigen eigen;
  double random_index = 0.0;
  bool consistent = true;  // cr <= 0.10
  std::vector<AhpSuggestion> suggestions;  // filled when not consistent
  std::vector<AhpSuggestion> repair;       // filled when no single suggestion restores consistency
  std::string sha256;  // of the judgement text
};

AhpResult run_ahp(const std::string& text, const std::string& label, const InputLimits& limits = InputLimits{});

// Text report and JSON document (nlohmann-free: the JSON text itself).
std::string ahp_text(const AhpResult& r);
std::string ahp_json(const AhpResult& r);

}  // namespace insource

#endif  // INSOURCE_ANALYSIS_AHP_H_
