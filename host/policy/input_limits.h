// Limits that keep hostile input (huge files, deep nesting, YAML alias
// "billion laughs" bombs) from eating memory or time. docs/reliability.md
// section 3 lists each limit, its default, its flag and its test.
#ifndef INSOURCE_HOST_INPUT_LIMITS_H_
#define INSOURCE_HOST_INPUT_LIMITS_H_

#include <cstddef>
#include <istream>
#include <string>

namespace YAML {
class Node;
}

namespace insource {

// Handed down by whoever reads (the CLI from its flags, the server from its
// configuration) to the rules loader and the case readers; there is no
// process-wide copy, so two readers in one process may hold different limits.
struct InputLimits {
  // Rules files (each file of an `extends` chain) and case files read whole
  // (decide, explain; not batch, which streams and has --max-record-bytes).
  size_t max_file_bytes = 64u << 20;
  // Nesting of maps and lists in a YAML/JSON document (yaml-cpp itself stops at 2000).
  int max_yaml_depth = 64;
  // Nodes of one document as its reader would visit them, every use of an
  // alias counted again: a small document whose aliases expand beyond this
  // is refused before it is read.
  size_t max_yaml_nodes = 1'000'000;
};

// Checks a loaded document against the depth and node limits. Returns an
// empty string when it is within them, else the problem; *line and *column
// (1-based, 0 when unknown) say where.
std::string check_yaml_limits(const YAML::Node& root, const InputLimits& limits, int* line, int* column);

// The size of a file, or -1 when it cannot be read; and the message for one
// over the limit ("" when within it).
std::string check_file_size(const std::string& path, const InputLimits& limits);

// Why a file cannot be opened for reading, in plain words ("there is no such
// file", "it is a folder, not a file", "permission denied"); "" when it can.
std::string why_unreadable(const std::string& path);

// Reads a whole stream into *out, but never more than limits.max_file_bytes:
// a pipe or a device (/dev/zero), whose size is not known up front, that
// goes on longer is refused. Returns "" when read, else the problem.
std::string read_bounded(std::istream& in, const InputLimits& limits, std::string* out);

}  // namespace insource

#endif  // INSOURCE_HOST_INPUT_LIMITS_H_
