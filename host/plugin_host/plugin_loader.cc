#include "plugin_host/plugin_loader.h"
#include "plugin_host/plugin_files.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <set>
#include <sstream>

#include "plugin_host/plugin_file.h"
#include "plugin_host/plugin_isolation.h"
#include "plugin_host/plugin_wire.h"
#include "plugin_host/sha256.h"
#include "core/plugin_text.h"
#include "plugin_host/plugin_calls.h"

namespace insource {
namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

[[noreturn]] void fail(const fs::path& file, const std::string& why) {
  throw PluginError("plugin " + quoted(file) + ": " + why);
}

bool valid_identifier(const char* s, bool dotted) {
  if (!s || !*s) return false;
  bool segment_start = true;
  for (const char* p = s; *p; ++p) {
    char c = *p;
    if (dotted && c == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (!dotted && c == '-');
    if (!ok) return false;
    segment_start = false;
  }
  return !segment_start;
}

bool valid_type(uint32_t t) { return t == INSOURCE_NUMBER || t == INSOURCE_STRING || t == INSOURCE_BOOL; }

// A descriptor's free text, as the host keeps it: valid UTF-8, whatever the plugin wrote.
std::string str(const char* s) { return s ? valid_utf8(s) : std::string(); }

// Plugin libraries are never unloaded (RTLD_NODELETE), so the private copies
// they were loaded from stay open too; held from a global, so never a leak.
void keep_forever(std::shared_ptr<LoadableCopy> copy) {
  static std::mutex mu;
  static auto* kept = new std::vector<std::shared_ptr<LoadableCopy>>();
  std::lock_guard<std::mutex> lock(mu);
  kept->push_back(std::move(copy));
}

}  // namespace

void LoadedPlugin::read_descriptor(const insource_plugin_descriptor* d) {
  if (!d) fail(path_, "the entry function returned no descriptor");
  if (d->abi_major != INSOURCE_ABI_MAJOR) {
    std::ostringstream m;
    m << "built for plugin ABI " << d->abi_major << "." << d->abi_minor << ", but this host speaks ABI "
      << INSOURCE_ABI_MAJOR << "." << INSOURCE_ABI_MINOR << " (a different major version is not compatible)";
    fail(path_, m.str());
  }
  if (d->struct_size < INSOURCE_DESCRIPTOR_MIN_SIZE_1_0) {
    std::ostringstream m;
    m << "descriptor struct_size " << d->struct_size << " is smaller than the " << INSOURCE_DESCRIPTOR_MIN_SIZE_1_0
      << " bytes of ABI " << INSOURCE_ABI_MAJOR << ".0";
    fail(path_, m.str());
  }
  abi_major_ = d->abi_major;
  abi_minor_ = d->abi_minor;
  if (!d->name || !*d->name) fail(path_, "the descriptor has no name");
  name_ = str(d->name);
  if (!valid_identifier(d->criterion, false))
    fail(path_, "criterion '" + str(d->criterion) + "' is not a valid name (letters, digits, '_' and '-')");
  criterion_ = d->criterion;
  version_ = str(d->version);
  description_ = str(d->description);
  if (!d->create || !d->evaluate || !d->destroy) fail(path_, "the descriptor lacks create, evaluate or destroy");
  if (!(d->score_min >= -1.0 && d->score_max <= 1.0 && d->score_min <= d->score_max))
    fail(path_, "score range [" + format_number(d->score_min) + ", " + format_number(d->score_max) +
                    "] is not within [-1, 1]");
  score_min_ = d->score_min;
  score_max_ = d->score_max;

  if (d->fact_count > 0 && !d->facts) fail(path_, "fact_count is set but facts is null");
  std::set<std::string> seen;
  for (uint32_t i = 0; i < d->fact_count; ++i) {
    const insource_fact_decl& f = d->facts[i];
    if (!valid_identifier(f.name, true)) fail(path_, "fact " + std::to_string(i) + " has an invalid name '" + str(f.name) + "'");
    if (!seen.insert(f.name).second) fail(path_, "fact '" + str(f.name) + "' is declared twice");
    if (!valid_type(f.type)) fail(path_, "fact '" + str(f.name) + "' has an unknown type");
    FactDecl out;
    out.name = f.name;
    out.type = static_cast<Type>(f.type);
    out.required = (f.flags & INSOURCE_FACT_REQUIRED) != 0;
    out.min_exclusive = (f.flags & INSOURCE_FACT_MIN_EXCLUSIVE) != 0;
    out.min = f.min;
    out.max = f.max;
    if (f.fallback.type != INSOURCE_ABSENT) {
      if (f.fallback.type != f.type) fail(path_, "fact '" + out.name + "' has a default of another type");
      out.has_fallback = true;
      out.fallback_number = f.fallback.number;
      out.fallback_bool = f.fallback.boolean != 0;
      if (f.type == INSOURCE_STRING && f.fallback.string)
        out.fallback_string = valid_utf8(std::string_view(f.fallback.string, f.fallback.length));
    }
    if (f.allowed) {
      if (f.type != INSOURCE_STRING) fail(path_, "fact '" + out.name + "' lists allowed values but is not a string");
      for (const char* const* a = f.allowed; *a; ++a) out.allowed.emplace_back(str(*a));
    }
    out.unit = str(f.unit);
    out.description = str(f.description);
    facts_.push_back(std::move(out));
  }

  if (d->param_count > 0 && !d->params) fail(path_, "param_count is set but params is null");
  seen.clear();
  for (uint32_t i = 0; i < d->param_count; ++i) {
    const insource_param_decl& p = d->params[i];
    if (!valid_identifier(p.name, false)) fail(path_, "parameter " + std::to_string(i) + " has an invalid name");
    if (!seen.insert(p.name).second) fail(path_, "parameter '" + str(p.name) + "' is declared twice");
    if (!valid_type(p.type)) fail(path_, "parameter '" + str(p.name) + "' has an unknown type");
    if (p.fallback.type != p.type)
      fail(path_, "parameter '" + str(p.name) + "' needs a default of its own type");
    ParamDecl out;
    out.name = p.name;
    out.type = static_cast<Type>(p.type);
    out.fallback_number = p.fallback.number;
    out.fallback_bool = p.fallback.boolean != 0;
    if (p.type == INSOURCE_STRING && p.fallback.string)
      out.fallback_string = valid_utf8(std::string_view(p.fallback.string, p.fallback.length));
    out.description = str(p.description);
    params_.push_back(std::move(out));
  }
  descriptor_ = d;
  log_context_ = plugin_log_context(name_.c_str());
}

std::shared_ptr<const LoadedPlugin> LoadedPlugin::load(const PluginFile& file) {
  guard_plugin_calls();
  const std::string label = file.path.string();
  const PluginCall loading{label.c_str(), "unknown yet", "loading (its static constructors or entry function)"};
  PluginCallScope scope(&loading);
  // Loaded from a private copy of the bytes that were hashed, never from the
  // file again: replacing the file now changes nothing (plugin_file.h).
  std::shared_ptr<LoadableCopy> copy;
  try {
    copy = std::make_shared<LoadableCopy>(file);
  } catch (const std::exception& e) {
    fail(file.path, e.what());
  }
  // The copy stays open for the life of the process: the library is never
  // unmapped (below), the loader knows a library by its path, and a closed
  // /proc/self/fd/N would be reused for the next plugin's copy and taken for
  // the library already loaded under that name.
  keep_forever(copy);
  auto lib = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  // rtld_now: an unresolved symbol is a load error here, not a crash later.
  lib->load(boost::dll::fs::path(copy->path().string()), ec,
            boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (ec || !lib->is_loaded()) {
    const char* why = dlerror();
    std::string msg = why ? why : ec.message();
    // The loader names the copy; the reader knows the file.
    for (size_t at; (at = msg.find(copy->path().string())) != std::string::npos;)
      msg.replace(at, copy->path().string().size(), file.path.string());
    fail(file.path, "cannot be loaded: " + msg);
  }
  // Never unmapped, even when the last Plugin goes: a plugin may have left a
  // thread running its code (logging, say), and unmapping it under that
  // thread is a crash (docs/reliability.md, "In process").
  ::dlopen(copy->path().c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (!lib->has(INSOURCE_ENTRY_SYMBOL))
    fail(file.path, "has no entry symbol '" INSOURCE_ENTRY_SYMBOL "' (is it an insource plugin built with INSOURCE_EXPORT_PLUGIN?)");
  auto& entry = lib->get<const insource_plugin_descriptor*()>(INSOURCE_ENTRY_SYMBOL);

  std::shared_ptr<LoadedPlugin> p(new LoadedPlugin());
  p->path_ = file.path;
  p->library_ = std::move(lib);
  p->sha256_ = file.sha256;
  p->read_descriptor(entry());
  return p;
}

std::shared_ptr<const LoadedPlugin> LoadedPlugin::load(const fs::path& file, const std::string& sha256) {
  PluginFile bytes;
  try {
    bytes = read_plugin_file(file);
  } catch (const std::exception& e) {
    fail(file, e.what());
  }
  if (!sha256.empty() && bytes.sha256 != sha256)
    fail(file, "its sha256 changed to " + bytes.sha256 + " after the host checked it (" + sha256 + "); not loaded");
  return load(bytes);
}

void LoadedPlugin::encode(wire::Writer& w) const {
  w.str(name_);
  w.str(version_);
  w.str(criterion_);
  w.str(description_);
  w.u32(abi_major_);
  w.u32(abi_minor_);
  w.f64(score_min_);
  w.f64(score_max_);
  w.u32(static_cast<uint32_t>(facts_.size()));
  for (const FactDecl& f : facts_) {
    w.str(f.name);
    w.u32(static_cast<uint32_t>(f.type));
    w.u8(f.required);
    w.u8(f.min_exclusive);
    w.u8(f.has_fallback);
    w.u8(f.fallback_bool);
    w.f64(f.fallback_number);
    w.str(f.fallback_string);
    w.u32(static_cast<uint32_t>(f.allowed.size()));
    for (const std::string& a : f.allowed) w.str(a);
    w.f64(f.min);
    w.f64(f.max);
    w.str(f.unit);
    w.str(f.description);
  }
  w.u32(static_cast<uint32_t>(params_.size()));
  for (const ParamDecl& d : params_) {
    w.str(d.name);
    w.u32(static_cast<uint32_t>(d.type));
    w.u8(d.fallback_bool);
    w.f64(d.fallback_number);
    w.str(d.fallback_string);
    w.str(d.description);
  }
}

std::shared_ptr<const LoadedPlugin> LoadedPlugin::decode(wire::Reader& r, const fs::path& file, const std::string& sha256) {
  std::shared_ptr<LoadedPlugin> p(new LoadedPlugin());
  p->path_ = file;
  p->sha256_ = sha256;
  p->isolated_ = true;
  auto type = [&](uint32_t t) {
    if (!valid_type(t)) fail(file, "the worker reported an unknown type");
    return static_cast<Type>(t);
  };
  try {
    p->name_ = r.str();
    p->version_ = r.str();
    p->criterion_ = r.str();
    p->description_ = r.str();
    p->abi_major_ = r.u32();
    p->abi_minor_ = r.u32();
    p->score_min_ = r.f64();
    p->score_max_ = r.f64();
    for (uint32_t n = r.u32(); n > 0; --n) {
      FactDecl f;
      f.name = r.str();
      f.type = type(r.u32());
      f.required = r.u8() != 0;
      f.min_exclusive = r.u8() != 0;
      f.has_fallback = r.u8() != 0;
      f.fallback_bool = r.u8() != 0;
      f.fallback_number = r.f64();
      f.fallback_string = r.str();
      for (uint32_t k = r.u32(); k > 0; --k) f.allowed.emplace_back(r.str());
      f.min = r.f64();
      f.max = r.f64();
      f.unit = r.str();
      f.description = r.str();
      p->facts_.push_back(std::move(f));
    }
    for (uint32_t n = r.u32(); n > 0; --n) {
      ParamDecl d;
      d.name = r.str();
      d.type = type(r.u32());
      d.fallback_bool = r.u8() != 0;
      d.fallback_number = r.f64();
      d.fallback_string = r.str();
      d.description = r.str();
      p->params_.push_back(std::move(d));
    }
  } catch (const wire::WireError& e) {
    fail(file, std::string("the worker's description of it does not decode: ") + e.what());
  }
  // The worker validated the descriptor; the names the host relies on are checked again here.
  if (p->name_.empty() || !valid_identifier(p->criterion_.c_str(), false))
    fail(file, "the worker reported an invalid name or criterion");
  return p;
}

std::shared_ptr<const LoadedPlugin> LoadedPlugin::from_descriptor(const insource_plugin_descriptor* d, const fs::path& label) {
  std::shared_ptr<LoadedPlugin> p(new LoadedPlugin());
  p->path_ = label;
  p->read_descriptor(d);
  return p;
}

std::unique_ptr<PluginInstance> LoadedPlugin::instantiate(const std::vector<ParamValue>& params) const {
  if (isolated_ || !descriptor_)
    throw PluginError("plugin " + name_ + " (" + path_.string() + ") is isolated: it runs only in a worker process");
  if (params.size() != params_.size()) throw PluginError("plugin " + name_ + ": wrong number of parameters");
  std::vector<insource_value> values;
  values.reserve(params.size());
  for (const ParamValue& v : params) values.push_back(v.view());
  insource_host host{};
  host.struct_size = sizeof host;
  host.abi_major = INSOURCE_ABI_MAJOR;
  host.abi_minor = INSOURCE_ABI_MINOR;
  host.log_context = log_context_;
  host.log = &plugin_log;
  char err[512] = {0};
  void* handle = nullptr;
  const std::string who = "plugin " + name_ + " (" + path_.string() + ")";
  int32_t status = INSOURCE_ERR_INTERNAL;
  try {  // the ABI forbids exceptions; one that escapes anyway is named, not an abort
    const PluginCall call{name_.c_str(), criterion_.c_str(), "create"};
    PluginCallScope scope(&call);
    status = descriptor_->create(&host, values.data(), values.size(), &handle, err, sizeof err);
  } catch (const std::exception& e) {
    throw PluginError(who + ": create() threw an exception: " + plugin_text(e.what()));
  } catch (...) {
    throw PluginError(who + ": create() threw an exception of unknown type");
  }
  err[sizeof err - 1] = '\0';
  if (status != INSOURCE_OK) {
    throw PluginError(who + " refused its parameters: " + (err[0] ? plugin_text(err) : "status " + std::to_string(status)));
  }
  if (!handle)
    throw PluginError(who + ": create() returned OK but no instance (a null pointer); the plugin cannot be used");
  return std::make_unique<PluginInstance>(shared_from_this(), handle);
}


PluginInstance::PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, void* handle)
    : plugin_(std::move(plugin)),
      handle_(handle),
      evaluate_(plugin_->descriptor_->evaluate),
      call_{plugin_->name_.c_str(), plugin_->criterion_.c_str(), "evaluate"} {}

PluginInstance::~PluginInstance() {
  const PluginCall call{plugin_->name_.c_str(), plugin_->criterion_.c_str(), "destroy"};
  PluginCallScope scope(&call);
  plugin_->descriptor_->destroy(handle_);
}

std::shared_ptr<const LoadedPlugin> PluginSet::find(std::string_view criterion) const {
  for (const auto& p : plugins)
    if (p->criterion() == criterion) return p;
  return nullptr;
}

fs::path default_plugin_dir() {
  boost::dll::fs::error_code ec;
  auto exe = boost::dll::program_location(ec);
  if (ec) return {};
  return fs::path(exe.string()).parent_path().parent_path() / "lib" / "insource" / "plugins";
}

std::vector<fs::path> plugin_search_path(const std::vector<std::string>& extra, bool include_default,
                                         const fs::path& default_dir) {
  std::vector<fs::path> dirs;
  for (const auto& d : extra) dirs.emplace_back(d);
  if (const char* env = std::getenv("INSOURCE_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      size_t colon = rest.find(':');
      std::string_view item = rest.substr(0, colon);
      // An empty entry would mean "the current directory" to a shell; we never load from there implicitly.
      if (!item.empty()) dirs.emplace_back(std::string(item));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  if (include_default) {
    fs::path d = default_dir.empty() ? default_plugin_dir() : default_dir;
    if (!d.empty()) dirs.push_back(d);
  }
  return dirs;
}

namespace {

// Whether group or others may write to `p` (following symlinks).
bool writable_by_others(const fs::path& p) {
  std::error_code ec;
  fs::perms perms = fs::status(p, ec).permissions();
  if (ec) return false;
  return (perms & (fs::perms::group_write | fs::perms::others_write)) != fs::perms::none;
}

PluginFile read_file(const fs::path& f) {
  try {
    return read_plugin_file(f);
  } catch (const std::exception& e) {
    throw PluginError("plugin " + quoted(f) + ": " + e.what());
  }
}

}  // namespace

PluginSet load_plugins(const std::vector<fs::path>& dirs) {
  PluginTrust trust;
  trust.allow_writable = true;
  return load_plugins(dirs, trust);
}

PluginSet load_plugins(const std::vector<fs::path>& dirs, const PluginTrust& trust) {
  PluginSet set;
  set.isolation = trust.isolation;
  const bool pinned = !trust.pins.empty();
  std::map<std::string, std::string> criterion_of_hash;  // pinned hash -> criterion
  for (const auto& [criterion, hash] : trust.pins) criterion_of_hash[hash] = criterion;
  std::vector<std::string> refused;  // files whose hash matched no pin, with their hash
  std::set<fs::path> seen_dirs, seen_files;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      spdlog::debug("plugin folder {} does not exist; skipped", dir.string());
      continue;
    }
    fs::path canon = fs::canonical(dir, ec);
    if (ec || !seen_dirs.insert(canon).second) continue;
    if (!trust.allow_writable && writable_by_others(canon))
      throw PluginError("plugin folder '" + dir.string() + "' is writable by group or others; refusing to load from it " +
                        "(chmod go-w it, or pass --allow-writable-plugins)");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(canon, ec)) {
      const fs::path& f = entry.path();
      if (is_plugin_file(entry)) files.push_back(f);
      else if (std::string why = why_skipped(entry); !why.empty())
        spdlog::warn("{}: skipped, not loaded as a plugin: {}", f.string(), why);
    }
    if (ec) throw PluginError("plugin folder '" + dir.string() + "' cannot be read: " + ec.message());
    std::sort(files.begin(), files.end());  // a stable order, whatever the file system says
    for (const fs::path& f : files) {
      if (!seen_files.insert(fs::canonical(f, ec)).second) continue;
      if (!trust.allow_writable && writable_by_others(f))
        fail(f, "the file is writable by group or others; refusing to load it (chmod go-w it, or pass "
                "--allow-writable-plugins)");
      // Read once and hashed before it is loaded: a pinned set never runs a
      // file that matches no pin, and what runs are the bytes hashed.
      const PluginFile file = read_file(f);
      const std::string& hash = file.sha256;
      auto pin = criterion_of_hash.find(hash);
      if (pinned && pin == criterion_of_hash.end()) {
        spdlog::info("plugin {} (sha256 {}) matches no pin in the rules; not loaded", f.string(), hash);
        refused.push_back(f.string() + " (sha256 " + hash + ")");
        continue;
      }
      run_plugin_load_hook(f);  // tests replace the file here: the bytes hashed are what is loaded
      // An isolated plugin is known only from a worker; when any plugin is
      // isolated, every file is first read there, since which criterion a
      // file votes on is only known from its descriptor.
      std::shared_ptr<const LoadedPlugin> plugin;
      if (trust.isolate_all || !trust.isolate.empty()) {
        plugin = probe_plugin(f, hash, trust.isolation);
        if (!trust.isolate_all && !trust.isolate.count(plugin->criterion())) plugin = LoadedPlugin::load(file);
      } else {
        plugin = LoadedPlugin::load(file);
      }
      if (pinned && plugin->criterion() != pin->second)
        fail(f, "its sha256 " + hash + " is the pin of criterion '" + pin->second + "', but it votes on '" +
                    plugin->criterion() + "'");
      if (auto other = set.find(plugin->criterion())) {
        throw PluginError("plugin '" + f.string() + "' votes on criterion '" + plugin->criterion() +
                          "', which plugin '" + other->path().string() +
                          "' already does; remove one of them from the plugin path");
      }
      spdlog::info("loaded plugin {} {} ({}) from {} sha256 {}{}", plugin->name(), plugin->version(),
                   plugin->criterion(), f.string(), hash, plugin->isolated() ? " (isolated)" : "");
      set.plugins.push_back(std::move(plugin));
    }
  }
  for (const auto& [criterion, hash] : trust.pins) {
    if (set.find(criterion)) continue;
    std::string msg = "criterion '" + criterion + "' is pinned to sha256 " + hash +
                      ", but no plugin file on the path has that hash; ";
    if (refused.empty()) {
      msg += "no other plugin file was found";
    } else {
      msg += "refused without loading: ";
      for (size_t i = 0; i < refused.size(); ++i) msg += (i ? ", " : "") + refused[i];
    }
    throw PluginError(msg);
  }
  return set;
}

}  // namespace insource
