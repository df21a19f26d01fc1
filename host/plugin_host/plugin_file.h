// A plugin file read once into memory, hashed, and loaded from those very
// bytes: a pin checks what runs, and nothing can swap the file between the
// hash and the load (docs/reliability.md section 3).
#ifndef INSOURCE_HOST_PLUGIN_FILE_H_
#define INSOURCE_HOST_PLUGIN_FILE_H_

#include <filesystem>
#include <string>

namespace insource {

struct PluginFile {
  std::filesystem::path path;  // where it was read from, for messages
  std::string bytes;
  std::string sha256;  // of `bytes`, lower-case hex
};

// Reads and hashes a file. Throws std::runtime_error naming it.
PluginFile read_plugin_file(const std::filesystem::path& file);

// The bytes of a PluginFile as a file the dynamic loader can open, which no
// one else can write: an anonymous memory file (memfd_create), named
// /proc/self/fd/N, or where that is not available a copy in a private (0700)
// temporary folder. Keep it while the library is loaded: the dynamic loader
// knows libraries by path, and /proc/self/fd/N is reused once N is closed.
class LoadableCopy {
 public:
  explicit LoadableCopy(const PluginFile& file);  // throws std::runtime_error
  ~LoadableCopy();
  LoadableCopy(const LoadableCopy&) = delete;
  LoadableCopy& operator=(const LoadableCopy&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  int fd_ = -1;
  std::filesystem::path dir_;  // the private folder of the fallback, or empty
  std::filesystem::path path_;
};

// For tests: called with the file's path after its bytes were read and
// hashed and before they are loaded, the window in which replacing the file
// must change nothing. Null (the default) for none. Not thread-safe.
using PluginLoadHook = void (*)(const std::filesystem::path& file);
void set_plugin_load_hook(PluginLoadHook hook);
void run_plugin_load_hook(const std::filesystem::path& file);

}  // namespace insource

#endif  // INSOURCE_HOST_PLUGIN_FILE_H_
