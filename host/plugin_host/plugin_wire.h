// The messages between the host and an isolated plugin worker (the
// insource-plugin-worker process, docs/reliability.md section 2): length-
// prefixed frames over a socket, with a plain little-endian binary encoding.
// Both ends are built from this one file, so the encoding has no version of
// its own; the worker is the host's own helper binary, never a plugin's.
#ifndef INSOURCE_HOST_PLUGIN_WIRE_H_
#define INSOURCE_HOST_PLUGIN_WIRE_H_

#include <insource/plugin.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace insource::wire {

// A frame that does not decode: the other end is not speaking this protocol
// (or died half-way through a frame).
class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The worker's progress through a kEvaluate request, in a page of memory the
// host and the worker share (a memfd the worker gets as fd 4). The worker
// answers a whole request with one send, so the host cannot tell from the
// socket which plugin was running when the worker crashed or stalled; it
// reads it here: `request` is the request's number (the host's count), `item`
// the position of the call within it, `started_ns` when it began
// (CLOCK_MONOTONIC, the same clock in both processes).
struct Progress {
  std::atomic<uint32_t> request{0};
  std::atomic<uint32_t> item{0};
  std::atomic<int64_t> started_ns{0};
};
static_assert(std::atomic<uint32_t>::is_always_lock_free && std::atomic<int64_t>::is_always_lock_free,
              "Progress is shared between processes: its atomics must be lock-free");
inline constexpr int kProgressFd = 4;  // in the worker
inline constexpr size_t kProgressBytes = 4096;

// The largest frame either end accepts (a case's facts or a descriptor are far smaller).
inline constexpr uint32_t kMaxFrame = 64u << 20;

enum class Kind : uint8_t {
  // host -> worker
  kProbe = 1,     // path: load the file, reply kDescriptor or kError
  kSetup = 2,     // members (path, sha256, params): load and instantiate each, reply kReady or kError
  kEvaluate = 3,  // request number, flags, spin, items (member, facts): reply one kVote per item, in order, in one send
  // worker -> host
  kDescriptor = 10,
  kReady = 11,
  kVote = 12,
  kError = 13,
};

// Appends to a frame; finish() writes the length prefix.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  // Starts a frame of `kind` at the end of `out`.
  void begin(Kind kind);
  // Fills in the length of the frame begin() started.
  void finish();

  void u8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { raw(&v, sizeof v); }
  void i32(int32_t v) { raw(&v, sizeof v); }
  void f64(double v) { raw(&v, sizeof v); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_->append(s.data(), s.size());
  }
  void value(const insource_value& v);

 private:
  void raw(const void* p, size_t n) { out_->append(static_cast<const char*>(p), n); }
  std::string* out_;
  size_t start_ = 0;
};

// Reads one frame's payload (after the length prefix and kind). Every read
// is bounds-checked: a short or garbled frame throws WireError.
class Reader {
 public:
  explicit Reader(std::string_view payload) : rest_(payload) {}

  uint8_t u8() { uint8_t v; raw(&v, 1); return v; }
  uint32_t u32() { uint32_t v; raw(&v, sizeof v); return v; }
  int32_t i32() { int32_t v; raw(&v, sizeof v); return v; }
  double f64() { double v; raw(&v, sizeof v); return v; }
  std::string_view str();
  // A value whose string (if any) points into the payload.
  insource_value value();
  bool done() const { return rest_.empty(); }

 private:
  void raw(void* p, size_t n) {
    if (rest_.size() < n) throw WireError("truncated message");
    std::memcpy(p, rest_.data(), n);
    rest_.remove_prefix(n);
  }
  std::string_view rest_;
};

// The frame at the start of `buf`, if complete: its kind and payload, and
// how many bytes it takes. Returns false when more bytes are needed. Throws
// WireError for a frame longer than kMaxFrame or of length 0.
bool next_frame(std::string_view buf, Kind* kind, std::string_view* payload, size_t* frame_size);

}  // namespace insource::wire

#endif  // INSOURCE_HOST_PLUGIN_WIRE_H_
