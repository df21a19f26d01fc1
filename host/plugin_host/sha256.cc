#include "plugin_host/sha256.h"

#include <openssl/evp.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace insource {

namespace {

[[noreturn]] void evp_failed(const char* what) {
  // Only an allocation failure or a libcrypto without SHA-256 gets here.
  throw std::runtime_error(std::string("SHA-256 (OpenSSL EVP): ") + what + " failed");
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) evp_failed("EVP_MD_CTX_new");
  reset();
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::reset() {
  if (EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) evp_failed("EVP_DigestInit_ex");
}

void Sha256::update(const void* data, size_t len) {
  if (len > 0 && EVP_DigestUpdate(ctx_, data, len) != 1) evp_failed("EVP_DigestUpdate");
}

Sha256::Digest Sha256::finish() {
  Digest out{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &n) != 1 || n != out.size()) evp_failed("EVP_DigestFinal_ex");
  reset();
  return out;
}

std::string to_hex(const Sha256::Digest& d) {
  static const char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kHex[d[i] >> 4];
    out[2 * i + 1] = kHex[d[i] & 15];
  }
  return out;
}

Sha256::Digest sha256(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string sha256_file_hex(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + file.string() + "'");
  Sha256 h;
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof buf);
    h.update(buf, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error("cannot read '" + file.string() + "'");
  return to_hex(h.finish());
}

bool digests_equal(const Sha256::Digest& a, const Sha256::Digest& b) {
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

}  // namespace insource
