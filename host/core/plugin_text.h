// Text a plugin hands the host (its name, version, descriptions, rationales,
// error messages, log lines) is whatever bytes the plugin chose. Every such
// string passes through here on its way in, so that everything the host
// writes out (JSON records, text reports, logs, the decision log) is valid
// UTF-8, and a rationale cannot grow without bound (docs/reliability.md).
#ifndef INSOURCE_CORE_PLUGIN_TEXT_H_
#define INSOURCE_CORE_PLUGIN_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace insource {

// The longest rationale or plugin message the host keeps, in bytes, in
// process and isolated alike (well under the worker's 64 MiB frame limit).
inline constexpr size_t kMaxPluginTextBytes = 64 * 1024;

// `s` with every byte that is not part of a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF included)
// replaced by U+FFFD, one replacement per bad byte.
std::string valid_utf8(std::string_view s);

// Whether `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

// A plugin's free text as the host keeps it: at most `limit` bytes of it
// (cut before a sequence the cut would split), then valid_utf8(). When it
// was longer, `*original_bytes` gets its length, else 0. Only the first
// `limit` bytes are read, so the worker can send just those (plus the
// length) and the host gets the same result as in process.
std::string plugin_text(std::string_view s, size_t limit = kMaxPluginTextBytes, size_t* original_bytes = nullptr);

// plugin_text() into *out, reusing its buffer: the evaluator keeps each
// criterion's rationale this way for every case, so text that needs no
// change (the usual: short and valid) costs a copy and no allocation.
void assign_plugin_text(std::string* out, std::string_view s, size_t limit = kMaxPluginTextBytes,
                        size_t* original_bytes = nullptr);

}  // namespace insource

#endif  // INSOURCE_CORE_PLUGIN_TEXT_H_
