#include "policy/input_limits.h"

#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace insource {

std::string check_yaml_limits(const YAML::Node& root, const InputLimits& limits, int* line, int* column) {
  *line = *column = 0;
  if (!root.IsDefined()) return {};
  // Depth first with an explicit stack: no recursion for an attacker to exhaust.
  struct Item {
    YAML::Node node;
    int depth;
  };
  std::vector<Item> stack;
  stack.push_back({root, 0});
  size_t visited = 0;
  auto where = [&](const YAML::Node& n) {
    YAML::Mark m = n.Mark();
    if (!m.is_null()) *line = m.line + 1, *column = m.column + 1;
  };
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    if (++visited > limits.max_yaml_nodes) {
      where(it.node);
      return "the document expands to more than " + std::to_string(limits.max_yaml_nodes) +
             " nodes (aliases count each time they are used); refused (--max-yaml-nodes)";
    }
    if (it.node.IsMap() || it.node.IsSequence()) {
      if (it.depth >= limits.max_yaml_depth) {
        where(it.node);
        return "the document nests deeper than " + std::to_string(limits.max_yaml_depth) +
               " levels; refused (--max-yaml-depth)";
      }
      if (it.node.IsMap()) {
        for (auto kv = it.node.begin(); kv != it.node.end(); ++kv) {
          stack.push_back({kv->first, it.depth + 1});
          stack.push_back({kv->second, it.depth + 1});
        }
      } else {
        for (auto child = it.node.begin(); child != it.node.end(); ++child) stack.push_back({*child, it.depth + 1});
      }
    }
  }
  return {};
}

std::string read_bounded(std::istream& in, const InputLimits& limits, std::string* out) {
  out->clear();
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    const size_t n = static_cast<size_t>(in.gcount());
    if (out->size() + n > limits.max_file_bytes) {
      out->clear();
      return "the input goes on past the limit of " + std::to_string(limits.max_file_bytes) + " bytes (--max-file-bytes)";
    }
    out->append(buf, n);
  }
  if (in.bad()) return "read error";
  return {};
}

std::string check_file_size(const std::string& path, const InputLimits& limits) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return {};  // a pipe or a device: read as before
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size <= limits.max_file_bytes) return {};
  return "the file is " + std::to_string(size) + " bytes, over the limit of " + std::to_string(limits.max_file_bytes) +
         " (--max-file-bytes)";
}

std::string why_unreadable(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return "it is a folder, not a file";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // O_NONBLOCK: a FIFO must not hang here
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  switch (errno) {
    case ENOENT: return "there is no such file";
    case ENOTDIR: return "a folder on the path is a file";
    case EACCES: return "permission denied";
    case EISDIR: return "it is a folder, not a file";
    default: return std::strerror(errno);
  }
}

}  // namespace insource
