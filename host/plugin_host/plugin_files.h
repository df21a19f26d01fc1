// Which files of a plugin folder are loaded, and which are skipped although
// they look like shared libraries (so that a skipped one is no mystery).
#ifndef INSOURCE_HOST_PLUGIN_FILES_H_
#define INSOURCE_HOST_PLUGIN_FILES_H_

#include <filesystem>
#include <string>
#include <vector>

namespace insource {

// Whether a folder entry is loaded as a plugin: a regular file, not hidden,
// whose name ends in `.so`.
bool is_plugin_file(const std::filesystem::directory_entry& entry);

// Why an entry that looks like a shared library is not loaded ("" when it
// does not look like one, or is loaded): a versioned `libz.so.1`, a hidden
// `.x.so`, a folder named `x.so`.
std::string why_skipped(const std::filesystem::directory_entry& entry);

// Every such entry of the folders, "path: why", in a stable order.
std::vector<std::string> skipped_plugin_files(const std::vector<std::filesystem::path>& dirs);

}  // namespace insource

#endif  // INSOURCE_HOST_PLUGIN_FILES_H_
