#include "plugin_host/plugin_files.h"

#include <algorithm>
#include <set>

namespace insource {

namespace fs = std::filesystem;

bool is_plugin_file(const fs::directory_entry& entry) {
  const std::string name = entry.path().filename().string();
  std::error_code ec;  // a broken link is no plugin, and no error either
  return entry.path().extension() == ".so" && name[0] != '.' && entry.is_regular_file(ec);
}

std::string why_skipped(const fs::directory_entry& entry) {
  if (is_plugin_file(entry)) return {};
  const std::string name = entry.path().filename().string();
  if (entry.path().extension() == ".so") {
    if (name[0] == '.') return "a hidden file (its name starts with '.')";
    return "not a regular file";
  }
  if (name.find(".so.") != std::string::npos) return "a versioned library name: a plugin's file name ends in .so";
  return {};
}

std::vector<std::string> skipped_plugin_files(const std::vector<fs::path>& dirs) {
  std::vector<std::string> out;
  std::set<fs::path> seen;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    fs::path canon = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(canon, ec) || !seen.insert(canon).second) continue;
    std::vector<std::string> here;
    for (const auto& entry : fs::directory_iterator(canon, ec))
      if (std::string why = why_skipped(entry); !why.empty()) here.push_back(entry.path().string() + ": " + why);
    std::sort(here.begin(), here.end());
    out.insert(out.end(), here.begin(), here.end());
  }
  return out;
}

}  // namespace insource
