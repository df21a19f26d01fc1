// JSON text for output. Strings the engine passes on (free text from rules
// files, ids) may hold invalid UTF-8; nlohmann::json's dump() throws on it,
// which would end a run over one byte. Here such bytes become U+FFFD.
#ifndef INSOURCE_HOST_JSON_TEXT_H_
#define INSOURCE_HOST_JSON_TEXT_H_

#include <string>

namespace insource {

template <typename Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace insource

#endif  // INSOURCE_HOST_JSON_TEXT_H_
