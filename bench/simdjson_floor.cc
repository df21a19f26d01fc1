// The floor: the same JSON Lines read and parsed by simdjson On-Demand alone,
// every value touched, nothing evaluated or written. `insource batch --jobs 1`
// divided by this is the engine's cost above parsing.
//
//   simdjson_floor FILE.jsonl   -> prints cases, seconds and cases/s
#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

namespace od = simdjson::ondemand;

namespace {

// Touches every value of an object, recursively, as a parser that reads a case would.
size_t touch(od::object obj) {
  size_t n = 0;
  for (auto f : obj) {
    od::field field;
    if (std::move(f).get(field)) return n;
    std::string_view key;
    if (field.unescaped_key().get(key)) return n;
    od::value v = field.value();
    od::json_type t;
    if (v.type().get(t)) return n;
    switch (t) {
      case od::json_type::object: {
        od::object inner;
        if (!v.get_object().get(inner)) n += touch(inner);
        break;
      }
      case od::json_type::number: {
        double d;
        n += !v.get_double().get(d) && d != 12345.678;
        break;
      }
      case od::json_type::string: {
        std::string_view s;
        n += !v.get_string().get(s) && !s.empty();
        break;
      }
      case od::json_type::boolean: {
        bool b;
        n += !v.get_bool().get(b);
        break;
      }
      default: ++n;
    }
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: simdjson_floor FILE.jsonl\n");
    return 2;
  }
  int fd = ::open(argv[1], O_RDONLY);
  if (fd < 0) {
    std::perror(argv[1]);
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  od::parser parser;
  std::string buf, carry;
  size_t cases = 0, values = 0;
  const size_t kChunk = 256 * 1024;
  while (true) {
    buf = carry;
    size_t old = buf.size();
    buf.resize(old + kChunk + simdjson::SIMDJSON_PADDING);
    ssize_t n = ::read(fd, buf.data() + old, kChunk);
    if (n < 0) return 2;
    size_t size = old + static_cast<size_t>(n);
    size_t end = n == 0 ? size : std::string_view(buf.data(), size).rfind('\n') + 1;
    carry.assign(buf, end, size - end);
    for (size_t pos = 0; pos < end;) {
      const char* nl = static_cast<const char*>(std::memchr(buf.data() + pos, '\n', end - pos));
      size_t stop = nl ? static_cast<size_t>(nl - buf.data()) : end;
      od::document doc;
      od::object obj;
      if (!parser.iterate(buf.data() + pos, stop - pos, buf.size() - pos).get(doc) && !doc.get_object().get(obj)) {
        values += touch(obj);
        ++cases;
      }
      pos = stop + 1;
    }
    if (n == 0) break;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("simdjson floor: %zu cases (%zu values) in %.3f s = %.0f cases/s\n", cases, values, secs, cases / secs);
  return 0;
}
