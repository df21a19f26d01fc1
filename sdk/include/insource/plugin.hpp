// insource plugin SDK: a thin C++ layer over the C ABI of plugin.h.
//
// A criterion author writes a class derived from insource::Plugin, declares
// its facts and parameters in static arrays, and exports it with one macro:
//
//   enum Fact { kHours, kRate };
//   static const insource_fact_decl kFacts[] = {
//       insource::number_fact("x.hours", insource::kRequired, "hours", "Hours of work"),
//       insource::number_fact("x.rate", 0, "money/h", "Rate", 0.0)};
//   class MyCriterion : public insource::Plugin {
//    public:
//     explicit MyCriterion(const insource::Params& p) : k_(p.number("k")) {}
//     insource::Vote evaluate(const insource::Case& c) override { ... }
//   };
//   INSOURCE_EXPORT_PLUGIN(MyCriterion, my_info)
//
// Everything here is header-only and depends on the C++ standard library
// alone: no Boost, no logging library, nothing of the host. Exceptions thrown
// by the plugin are caught at the boundary and become status codes.
#ifndef INSOURCE_PLUGIN_HPP
#define INSOURCE_PLUGIN_HPP

#include <insource/plugin.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

namespace insource {

inline constexpr uint32_t kRequired = INSOURCE_FACT_REQUIRED;

// ---- errors a plugin may throw; the boundary maps them to status codes ----

// A required fact is absent (INSOURCE_ERR_MISSING_FACT).
class MissingFact : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A value the plugin cannot use (INSOURCE_ERR_INVALID_ARGUMENT).
class InvalidValue : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// printf-style formatting into a std::string, for rationales and messages.
inline std::string format(const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
inline std::string format(const char* fmt, ...) {
  char stack[256];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(stack, sizeof stack, fmt, ap);
  va_end(ap);
  if (n < 0) return {};
  if (static_cast<size_t>(n) < sizeof stack) return std::string(stack, static_cast<size_t>(n));
  std::string out(static_cast<size_t>(n), '\0');
  va_start(ap, fmt);
  std::vsnprintf(out.data(), out.size() + 1, fmt, ap);
  va_end(ap);
  return out;
}

// ---- declaring facts and parameters ----

inline insource_value absent_value() { return insource_value{INSOURCE_ABSENT, 0, 0.0, nullptr, 0}; }
inline insource_value number_value(double v) { return insource_value{INSOURCE_NUMBER, 0, v, nullptr, 0}; }
inline insource_value bool_value(bool v) { return insource_value{INSOURCE_BOOL, v ? 1u : 0u, 0.0, nullptr, 0}; }
inline insource_value string_value(const char* s) {
  return insource_value{INSOURCE_STRING, 0, 0.0, s, s ? std::strlen(s) : 0};
}

// A number fact. min/max bound it (min exclusive with INSOURCE_FACT_MIN_EXCLUSIVE in flags).
inline insource_fact_decl number_fact(const char* name, uint32_t flags, const char* unit,
                                      const char* description, insource_value fallback = absent_value(),
                                      double min = -HUGE_VAL, double max = HUGE_VAL) {
  return insource_fact_decl{name, INSOURCE_NUMBER, flags, fallback, nullptr, min, max, unit, description};
}

// A string fact; `allowed` is a NULL-terminated list (or nullptr for any string).
inline insource_fact_decl string_fact(const char* name, uint32_t flags, const char* const* allowed,
                                      const char* description, insource_value fallback = absent_value()) {
  return insource_fact_decl{name, INSOURCE_STRING, flags, fallback, allowed, -HUGE_VAL, HUGE_VAL, nullptr,
                            description};
}

inline insource_fact_decl bool_fact(const char* name, uint32_t flags, const char* description,
                                    insource_value fallback = absent_value()) {
  return insource_fact_decl{name, INSOURCE_BOOL, flags, fallback, nullptr, -HUGE_VAL, HUGE_VAL, nullptr,
                            description};
}

inline insource_param_decl number_param(const char* name, double fallback, const char* description) {
  return insource_param_decl{name, INSOURCE_NUMBER, 0, number_value(fallback), description};
}
inline insource_param_decl bool_param(const char* name, bool fallback, const char* description) {
  return insource_param_decl{name, INSOURCE_BOOL, 0, bool_value(fallback), description};
}
inline insource_param_decl string_param(const char* name, const char* fallback, const char* description) {
  return insource_param_decl{name, INSOURCE_STRING, 0, string_value(fallback), description};
}

// What a plugin says about itself; INSOURCE_EXPORT_PLUGIN turns it into the descriptor.
struct PluginInfo {
  const char* name;
  const char* version;
  const char* criterion;
  const char* description;
  const insource_fact_decl* facts;
  uint32_t fact_count;
  const insource_param_decl* params;
  uint32_t param_count;
  double score_min = -1.0;
  double score_max = 1.0;
};

// ---- logging through the host ----

class Logger {
 public:
  Logger() = default;
  Logger(void* context, void (*fn)(void*, uint32_t, const char*)) : context_(context), fn_(fn) {}
  void operator()(insource_log_level level, const std::string& message) const {
    if (fn_) fn_(context_, static_cast<uint32_t>(level), message.c_str());
  }

 private:
  void* context_ = nullptr;
  void (*fn_)(void*, uint32_t, const char*) = nullptr;
};

// ---- the values a plugin reads ----

// The parameters of one instance, by declared name. Only used at create time.
class Params {
 public:
  Params(const insource_param_decl* decls, const insource_value* values, size_t count, Logger log)
      : decls_(decls), values_(values), count_(count), log_(log) {}

  double number(std::string_view name) const { return get(name, INSOURCE_NUMBER).number; }
  bool boolean(std::string_view name) const { return get(name, INSOURCE_BOOL).boolean != 0; }
  std::string string(std::string_view name) const {
    const insource_value& v = get(name, INSOURCE_STRING);
    return std::string(v.string, v.length);
  }
  const Logger& log() const { return log_; }

 private:
  const insource_value& get(std::string_view name, uint32_t type) const {
    for (size_t i = 0; i < count_; ++i) {
      if (name == decls_[i].name) {
        if (values_[i].type != type)
          throw InvalidValue(format("parameter %s has the wrong type", decls_[i].name));
        return values_[i];
      }
    }
    throw InvalidValue("undeclared parameter " + std::string(name));
  }

  const insource_param_decl* decls_;
  const insource_value* values_;
  size_t count_;
  Logger log_;
};

// One case as the plugin sees it: its declared facts, by position.
class Case {
 public:
  Case(const insource_fact_decl* decls, const insource_value* values, size_t count, bool wants_rationale)
      : decls_(decls), values_(values), count_(count), wants_rationale_(wants_rationale) {}

  size_t size() const { return count_; }
  const char* name(size_t i) const { return decls_[i].name; }

  // Whether the case gave fact i (a declared default does not count).
  bool has(size_t i) const { return values_[i].type != INSOURCE_ABSENT; }

  // Whether the case gave any of its facts, or any of the listed ones.
  bool any() const {
    for (size_t i = 0; i < count_; ++i)
      if (has(i)) return true;
    return false;
  }
  bool any(std::initializer_list<size_t> which) const {
    for (size_t i : which)
      if (has(i)) return true;
    return false;
  }

  // The value of fact i, or its declared default; throws MissingFact when neither exists.
  double number(size_t i) const { return value(i, INSOURCE_NUMBER).number; }
  bool boolean(size_t i) const { return value(i, INSOURCE_BOOL).boolean != 0; }
  std::string_view string(size_t i) const {
    const insource_value& v = value(i, INSOURCE_STRING);
    return std::string_view(v.string, v.length);
  }

  // A string fact mapped onto [0, 1] by its position in `levels`
  // (low/medium/high = 0, 0.5, 1). Throws InvalidValue for a value not listed.
  double level(size_t i, std::initializer_list<const char*> levels) const {
    std::string_view v = string(i);
    size_t k = 0;
    for (const char* l : levels) {
      if (v == l) return levels.size() > 1 ? static_cast<double>(k) / static_cast<double>(levels.size() - 1) : 0.0;
      ++k;
    }
    throw InvalidValue(format("%s: \"%.*s\" is not an allowed value", name(i), static_cast<int>(v.size()), v.data()));
  }

  // Whether the host will show the rationale; when false, skip formatting it.
  bool wants_rationale() const { return wants_rationale_; }

 private:
  const insource_value& value(size_t i, uint32_t type) const {
    const insource_value* v = &values_[i];
    if (v->type == INSOURCE_ABSENT) {
      v = &decls_[i].fallback;
      if (v->type == INSOURCE_ABSENT) throw MissingFact(format("%s is required", name(i)));
    }
    if (v->type != type) throw InvalidValue(format("%s has the wrong type", name(i)));
    return *v;
  }

  const insource_fact_decl* decls_;
  const insource_value* values_;
  size_t count_;
  bool wants_rationale_;
};

// A criterion's vote on one case.
struct Vote {
  double score = 0.0;
  bool abstained = false;
  std::string rationale;

  static Vote of(double score, std::string rationale = {}) { return Vote{score, false, std::move(rationale)}; }
  static Vote abstain(std::string rationale = {}) { return Vote{0.0, true, std::move(rationale)}; }
};

// The base class of a criterion. One instance is never called from two threads at once.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual Vote evaluate(const Case& c) = 0;

  void set_logger(Logger log) { log_ = log; }

 protected:
  void log(insource_log_level level, const std::string& message) const { log_(level, message); }

 private:
  Logger log_;
};

namespace detail {

// What one instance is on the C side: the plugin and the strings it hands out.
struct Instance {
  std::unique_ptr<Plugin> plugin;
  std::string rationale;
  std::string message;
};

inline void copy_error(char* err, size_t err_size, const char* text) {
  if (!err || err_size == 0) return;
  std::snprintf(err, err_size, "%s", text);
}

template <class T>
int32_t create(const PluginInfo& info, const insource_host* host, const insource_value* params, size_t count,
               void** out, char* err, size_t err_size) noexcept {
  try {
    Logger log = host ? Logger(host->log_context, host->log) : Logger();
    if (count != info.param_count) {
      copy_error(err, err_size, "parameter count does not match the declaration");
      return INSOURCE_ERR_INVALID_ARGUMENT;
    }
    auto inst = std::make_unique<Instance>();
    inst->plugin = std::make_unique<T>(Params(info.params, params, count, log));
    inst->plugin->set_logger(log);
    *out = inst.release();
    return INSOURCE_OK;
  } catch (const InvalidValue& e) {
    copy_error(err, err_size, e.what());
    return INSOURCE_ERR_INVALID_ARGUMENT;
  } catch (const std::bad_alloc&) {
    copy_error(err, err_size, "out of memory");
    return INSOURCE_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    copy_error(err, err_size, e.what());
    return INSOURCE_ERR_INTERNAL;
  } catch (...) {
    copy_error(err, err_size, "unknown exception");
    return INSOURCE_ERR_INTERNAL;
  }
}

inline int32_t evaluate(const PluginInfo& info, void* handle, const insource_value* facts, size_t count,
                        uint32_t flags, insource_vote* out) noexcept {
  auto* inst = static_cast<Instance*>(handle);
  try {
    if (count != info.fact_count) {
      inst->message = "fact count does not match the declaration";
      out->message = inst->message.c_str();
      return INSOURCE_ERR_INVALID_ARGUMENT;
    }
    Vote v = inst->plugin->evaluate(Case(info.facts, facts, count, (flags & INSOURCE_EVAL_RATIONALE) != 0));
    inst->rationale = std::move(v.rationale);
    out->score = v.score;
    out->abstain = v.abstained ? 1u : 0u;
    out->rationale = inst->rationale.c_str();
    return INSOURCE_OK;
  } catch (const MissingFact& e) {
    inst->message = e.what();
    out->message = inst->message.c_str();
    return INSOURCE_ERR_MISSING_FACT;
  } catch (const InvalidValue& e) {
    inst->message = e.what();
    out->message = inst->message.c_str();
    return INSOURCE_ERR_INVALID_ARGUMENT;
  } catch (const std::bad_alloc&) {
    out->message = "out of memory";
    return INSOURCE_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    try {
      inst->message = e.what();
      out->message = inst->message.c_str();
    } catch (...) {
      out->message = "exception";
    }
    return INSOURCE_ERR_INTERNAL;
  } catch (...) {
    out->message = "unknown exception";
    return INSOURCE_ERR_INTERNAL;
  }
}

inline void destroy(void* handle) noexcept { delete static_cast<Instance*>(handle); }

inline insource_plugin_descriptor make_descriptor(const PluginInfo& info,
                                                  decltype(insource_plugin_descriptor::create) create,
                                                  decltype(insource_plugin_descriptor::evaluate) evaluate) {
  insource_plugin_descriptor d{};
  d.abi_major = INSOURCE_ABI_MAJOR;
  d.abi_minor = INSOURCE_ABI_MINOR;
  d.struct_size = sizeof(insource_plugin_descriptor);
  d.name = info.name;
  d.version = info.version;
  d.criterion = info.criterion;
  d.description = info.description;
  d.facts = info.facts;
  d.fact_count = info.fact_count;
  d.params = info.params;
  d.param_count = info.param_count;
  d.score_min = info.score_min;
  d.score_max = info.score_max;
  d.create = create;
  d.evaluate = evaluate;
  d.destroy = &destroy;
  return d;
}

}  // namespace detail
}  // namespace insource

// Exports `Class` (derived from insource::Plugin, constructible from const
// insource::Params&) with `info`, an insource::PluginInfo or an expression
// giving one. Put it once, at namespace scope, in one source file.
#define INSOURCE_EXPORT_PLUGIN(Class, info)                                                                 \
  namespace {                                                                                               \
  const ::insource::PluginInfo& insource_plugin_info_() {                                                   \
    static const ::insource::PluginInfo i = (info);                                                         \
    return i;                                                                                               \
  }                                                                                                         \
  int32_t insource_plugin_create_(const insource_host* h, const insource_value* p, size_t n, void** out,     \
                                  char* err, size_t err_size) {                                             \
    return ::insource::detail::create<Class>(insource_plugin_info_(), h, p, n, out, err, err_size);         \
  }                                                                                                         \
  int32_t insource_plugin_evaluate_(void* inst, const insource_value* f, size_t n, uint32_t flags,          \
                                    insource_vote* v) {                                                     \
    return ::insource::detail::evaluate(insource_plugin_info_(), inst, f, n, flags, v);                     \
  }                                                                                                         \
  }                                                                                                         \
  extern "C" INSOURCE_PLUGIN_EXPORT const insource_plugin_descriptor* insource_plugin_entry(void) {         \
    static const insource_plugin_descriptor d = ::insource::detail::make_descriptor(                        \
        insource_plugin_info_(), &insource_plugin_create_, &insource_plugin_evaluate_);                     \
    return &d;                                                                                              \
  }

#endif  // INSOURCE_PLUGIN_HPP
