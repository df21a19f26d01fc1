#include "plugin_host/plugin_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "plugin_host/sha256.h"

namespace insource {
namespace fs = std::filesystem;

namespace {

PluginLoadHook g_hook = nullptr;

bool write_all(int fd, const std::string& bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

PluginFile read_plugin_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + file.string() + "'");
  PluginFile out;
  out.path = file;
  out.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error("cannot read '" + file.string() + "'");
  out.sha256 = sha256_hex(out.bytes);
  return out;
}

LoadableCopy::LoadableCopy(const PluginFile& file) {
  // Named after the file, so /proc/PID/maps still says which plugin is mapped.
  fd_ = ::memfd_create(("insource:" + file.path.filename().string()).c_str(), MFD_CLOEXEC);
  if (fd_ >= 0) {
    if (!write_all(fd_, file.bytes)) {
      int e = errno;
      ::close(fd_);
      throw std::runtime_error("cannot copy '" + file.path.string() + "' into memory: " + std::strerror(e));
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
    return;
  }
  // No memfd (an old kernel, or a sandbox that forbids it): a private copy.
  std::string tmpl = (fs::temp_directory_path() / "insource-plugin-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))  // mode 0700
    throw std::runtime_error("cannot make a private folder for '" + file.path.string() + "': " + std::strerror(errno));
  dir_ = tmpl;
  path_ = dir_ / file.path.filename();
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0500);
  bool ok = fd >= 0 && write_all(fd, file.bytes);
  int e = errno;
  if (fd >= 0) ::close(fd);
  if (!ok) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw std::runtime_error("cannot copy '" + file.path.string() + "' to " + path_.string() + ": " + std::strerror(e));
  }
}

LoadableCopy::~LoadableCopy() {
  if (fd_ >= 0) ::close(fd_);
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void set_plugin_load_hook(PluginLoadHook hook) { g_hook = hook; }

void run_plugin_load_hook(const fs::path& file) {
  if (g_hook) g_hook(file);
}

}  // namespace insource
