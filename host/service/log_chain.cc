#include "service/log_chain.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "plugin_host/sha256.h"

namespace insource {

std::string log_chain_seed_hash() { return sha256_hex(kLogChainSeed); }

std::string chain_lines(std::string_view lines, std::string* prev) {
  std::string out;
  out.reserve(lines.size() + 96 * 4);
  while (!lines.empty()) {
    size_t end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 1);
    const size_t start = out.size();
    out += kLogChainField;
    out += *prev;
    out += '"';
    // The decision's own fields follow the chain field in the same object.
    if (line.size() > 2 && line.front() == '{') {
      out += ',';
      out.append(line.substr(1));
    } else {
      out += '}';  // not an object (never written by the host): kept out of the chain's way
    }
    *prev = sha256_hex(std::string_view(out).substr(start));
    out += '\n';
  }
  return out;
}

std::string log_chain_tail(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return log_chain_seed_hash();
  struct stat st {};
  std::string tail;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    // Read backwards until the start of the last line is in `tail`.
    off_t end = st.st_size;
    char buf[65536];
    while (end > 0) {
      const off_t from = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
      ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - from), from);
      if (n <= 0) break;
      tail.insert(0, buf, static_cast<size_t>(n));
      end = from;
      const size_t body_end = !tail.empty() && tail.back() == '\n' ? tail.size() - 1 : tail.size();
      if (tail.rfind('\n', body_end == 0 ? 0 : body_end - 1) != std::string::npos && body_end > 0) break;
    }
  }
  ::close(fd);
  if (!tail.empty() && tail.back() == '\n') tail.pop_back();
  if (tail.empty()) return log_chain_seed_hash();
  const size_t nl = tail.rfind('\n');
  return sha256_hex(nl == std::string::npos ? std::string_view(tail) : std::string_view(tail).substr(nl + 1));
}

LogChainCheck verify_log_chain(std::istream& log) {
  LogChainCheck c;
  std::string expected = log_chain_seed_hash(), line;
  while (std::getline(log, line)) {
    ++c.lines;
    const bool has_field = line.compare(0, kLogChainField.size(), kLogChainField) == 0 &&
                           line.size() >= kLogChainField.size() + 65 && line[kLogChainField.size() + 64] == '"';
    if (!has_field) {
      c.bad_line = c.lines;
      c.problem = "the line does not start with a prev_sha256 field: it was inserted, or edited, or the file is "
                  "not a chained decision log";
      return c;
    }
    const std::string recorded = line.substr(kLogChainField.size(), 64);
    if (recorded != expected) {
      c.bad_line = c.lines;
      c.problem = c.lines == 1
                      ? "its prev_sha256 " + recorded + " is not the seed's (" + expected +
                            "): lines were removed from the start, or this line was inserted or edited"
                      : "its prev_sha256 " + recorded + " is not the SHA-256 of line " + std::to_string(c.lines - 1) +
                            " (" + expected + "): line " + std::to_string(c.lines - 1) +
                            " was edited, or lines were removed or inserted here, or this line was";
      return c;
    }
    expected = sha256_hex(line);
  }
  c.last_hash = expected;
  return c;
}

}  // namespace insource
