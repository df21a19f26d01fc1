#include "plugin_host/plugin_wire.h"

namespace insource::wire {

void Writer::begin(Kind kind) {
  start_ = out_->size();
  u32(0);  // the length, filled in by finish()
  u8(static_cast<uint8_t>(kind));
}

void Writer::finish() {
  const uint32_t len = static_cast<uint32_t>(out_->size() - start_ - sizeof(uint32_t));
  std::memcpy(out_->data() + start_, &len, sizeof len);
}

void Writer::value(const insource_value& v) {
  u8(static_cast<uint8_t>(v.type));
  switch (v.type) {
    case INSOURCE_NUMBER: f64(v.number); break;
    case INSOURCE_BOOL: u8(v.boolean ? 1 : 0); break;
    case INSOURCE_STRING: str(std::string_view(v.string ? v.string : "", v.string ? v.length : 0)); break;
    default: break;
  }
}

std::string_view Reader::str() {
  const uint32_t n = u32();
  if (rest_.size() < n) throw WireError("truncated string");
  std::string_view s = rest_.substr(0, n);
  rest_.remove_prefix(n);
  return s;
}

insource_value Reader::value() {
  insource_value v{};
  v.type = u8();
  switch (v.type) {
    case INSOURCE_ABSENT: break;
    case INSOURCE_NUMBER: v.number = f64(); break;
    case INSOURCE_BOOL: v.boolean = u8() ? 1u : 0u; break;
    case INSOURCE_STRING: {
      std::string_view s = str();
      v.string = s.data();
      v.length = s.size();
      break;
    }
    default: throw WireError("unknown value type " + std::to_string(v.type));
  }
  return v;
}

bool next_frame(std::string_view buf, Kind* kind, std::string_view* payload, size_t* frame_size) {
  if (buf.size() < sizeof(uint32_t)) return false;
  uint32_t len;
  std::memcpy(&len, buf.data(), sizeof len);
  if (len == 0 || len > kMaxFrame) throw WireError("bad frame length " + std::to_string(len));
  if (buf.size() - sizeof len < len) return false;
  *kind = static_cast<Kind>(static_cast<uint8_t>(buf[sizeof len]));
  *payload = buf.substr(sizeof len + 1, len - 1);
  *frame_size = sizeof len + len;
  return true;
}

}  // namespace insource::wire
