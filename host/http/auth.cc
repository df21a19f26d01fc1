// `insource serve`: bearer tokens (--token-file), kept as SHA-256 digests and
// compared in constant time.
#include <cerrno>
#include <cstring>
#include <fstream>

#include "http/server_impl.h"

namespace insource::server {

std::vector<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("token file '" + path + "' cannot be read: " + std::strerror(errno));
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    tokens.push_back(std::move(t));
  }
  if (in.bad()) throw std::runtime_error("token file '" + path + "' cannot be read");
  if (tokens.empty()) throw std::runtime_error("token file '" + path + "' holds no token");
  return tokens;
}

void Server::Impl::load_tokens() {
  auto set = std::make_shared<TokenSet>();
  for (const std::string& t : read_token_file(o.token_file)) set->digests.push_back(sha256(t));
  tokens.store(std::move(set));
}

bool Server::Impl::authorized(const httplib::Request& req) const {
  auto set = tokens.load();
  if (!set) return true;
  std::string h = req.get_header_value("Authorization");
  if (h.size() < 7 || lower(h.substr(0, 7)) != "bearer ") return false;
  Sha256::Digest given = sha256(trim(std::string_view(h).substr(7)));
  // Every token is compared, in full, whatever matched: the time taken says nothing about them.
  bool ok = false;
  for (const auto& d : set->digests) ok = digests_equal(given, d) | ok;
  return ok;
}

}  // namespace insource::server
