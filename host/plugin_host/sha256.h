// SHA-256 (FIPS 180-4), small and dependency-free: the revision of a policy
// (the hash of its resolved rules text), the hash of each plugin file in the
// decision log, and plugin pinning. Not constant-time with respect to the
// data; compare digests with digests_equal() where timing matters.
#ifndef INSOURCE_HOST_SHA256_H_
#define INSOURCE_HOST_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace insource {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256() { reset(); }
  void reset();
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The digest of everything updated so far; the object is reset afterwards.
  Digest finish();

 private:
  void block(const uint8_t* p);

  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes hashed
};

// Lower-case hex of a digest (64 characters).
std::string to_hex(const Sha256::Digest& d);

// The digest of `data`, as bytes or as hex.
Sha256::Digest sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

// The hex digest of a file's contents. Throws std::runtime_error naming the
// file when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& file);

// Whether two digests are equal, in time that does not depend on where they differ.
bool digests_equal(const Sha256::Digest& a, const Sha256::Digest& b);

}  // namespace insource

#endif  // INSOURCE_HOST_SHA256_H_
