// A helper shared by the built-in criteria that average components (control,
// legal): the mean over the components a case gives, and, only when the host
// asks for a rationale, the words that explain it, e.g.
// "institutional knowledge high (1), core competence no (0)".
// Built into each plugin on its own: it uses the SDK and the standard library only.
#ifndef INSOURCE_PLUGINS_COMPONENTS_H_
#define INSOURCE_PLUGINS_COMPONENTS_H_

#include <insource/plugin.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace insource_builtin {

class Components {
 public:
  explicit Components(bool explain) : explain_(explain) {}

  void add(const char* label, std::string_view shown, double value) {
    sum_ += value;
    ++count_;
    if (explain_)
      text_ += insource::format("%s%s %.*s (%.3g)", count_ > 1 ? ", " : "", label, static_cast<int>(shown.size()),
                                shown.data(), value);
  }
  // A level fact mapped onto [0, 1] by its place in `levels`, when the case gives it.
  void add_level(const insource::Case& c, size_t fact, const char* label, std::initializer_list<const char*> levels) {
    if (c.has(fact)) add(label, c.string(fact), c.level(fact, levels));
  }
  // A bool fact as 1 or 0, when the case gives it.
  void add_bool(const insource::Case& c, size_t fact, const char* label) {
    if (c.has(fact)) add(label, c.boolean(fact) ? "yes" : "no", c.boolean(fact) ? 1.0 : 0.0);
  }

  int count() const { return count_; }
  double mean() const { return sum_ / count_; }
  const std::string& text() const { return text_; }

 private:
  bool explain_;
  double sum_ = 0.0;
  int count_ = 0;
  std::string text_;
};

}  // namespace insource_builtin

#endif  // INSOURCE_PLUGINS_COMPONENTS_H_
