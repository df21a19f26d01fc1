// The built-in "security" criterion (docs/criteria.md section 5).
//
// Letting a vendor's staff into the company's systems is a security risk, the
// more so for back-office systems such as accounting and for sensitive data.
// A certified vendor lowers the risk but never turns it into a reason to
// outsource: the score stays in [0, 1].
//
//   risk  = mean(system_access, data_sensitivity), over the ones given
//   risk  = risk x (1 - certified_discount) when vendor_certified
//   score = risk
#include <insource/plugin.hpp>

#include <cmath>
#include <iterator>
#include <string>
#include <string_view>

namespace {

using insource::bool_fact;
using insource::string_fact;

enum Fact { kAccess, kSensitivity, kCertified, kFactCount };

const char* const kAccessLevels[] = {"none", "front_office", "back_office", nullptr};
const char* const kSensitivityLevels[] = {"public", "internal", "confidential", "restricted", nullptr};

const insource_fact_decl kFacts[] = {
    string_fact("security.system_access", 0, kAccessLevels,
                "Which of the company's systems the vendor's staff would need access to"),
    string_fact("security.data_sensitivity", 0, kSensitivityLevels, "How sensitive the data the work touches is"),
    bool_fact("security.vendor_certified", 0, "Whether the vendor holds a recognised security certification",
              insource::bool_value(false)),
};
static_assert(std::size(kFacts) == kFactCount);

const insource_param_decl kParams[] = {
    insource::number_param("certified_discount", 0.5,
                           "Share of the risk a vendor's security certification takes away, in [0, 1]"),
};

class Security : public insource::Plugin {
 public:
  explicit Security(const insource::Params& p) : discount_(p.number("certified_discount")) {
    // Outside [0, 1] the risk would leave [0, 1] (or turn negative and argue for outsourcing).
    if (!(discount_ >= 0 && discount_ <= 1))
      throw insource::InvalidValue(insource::format("certified_discount must be in [0, 1], got %g", discount_));
  }

  insource::Vote evaluate(const insource::Case& c) override {
    // vendor_certified alone says nothing about the risk: it only scales it.
    if (!c.any({kAccess, kSensitivity}))
      return insource::Vote::abstain(c.wants_rationale() ? "neither system access nor data sensitivity given" : "");

    double sum = 0.0;
    int count = 0;
    double access = 0.0, sensitivity = 0.0;
    if (c.has(kAccess)) {
      access = c.level(kAccess, {"none", "front_office", "back_office"});
      sum += access;
      ++count;
    }
    if (c.has(kSensitivity)) {
      sensitivity = c.level(kSensitivity, {"public", "internal", "confidential", "restricted"});
      sum += sensitivity;
      ++count;
    }
    const double mean = sum / count;
    const bool certified = c.boolean(kCertified);  // absent: the declared default, false
    const double risk = certified ? mean * (1 - discount_) : mean;
    if (!c.wants_rationale()) return insource::Vote::of(risk);

    std::string text;
    if (c.has(kAccess)) text += describe(c, kAccess, "system access", access);
    if (c.has(kSensitivity)) text += (text.empty() ? "" : ", ") + describe(c, kSensitivity, "data sensitivity", sensitivity);
    if (certified)
      text += insource::format("; mean %.3g; vendor certified, x (1 - %g) -> score %.3g", mean, discount_, risk);
    else
      text += insource::format("; mean %.3g; vendor %s -> score %.3g", mean,
                               c.has(kCertified) ? "not certified" : "certification not given (taken as no)", risk);
    return insource::Vote::of(risk, std::move(text));
  }

 private:
  static std::string describe(const insource::Case& c, Fact f, const char* label, double value) {
    std::string_view v = c.string(f);
    return insource::format("%s %.*s (%.3g)", label, static_cast<int>(v.size()), v.data(), value);
  }

  double discount_;
};

}  // namespace

INSOURCE_EXPORT_PLUGIN(Security, (insource::PluginInfo{
                                     "builtin-security", "1.0.0", "security",
                                     "Vendor staff with access to the company's systems, back-office above all, "
                                     "are a security risk",
                                     kFacts, kFactCount, kParams, std::size(kParams), 0.0, 1.0}))
