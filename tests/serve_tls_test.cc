// `insource serve --tls-cert --tls-key [--tls-client-ca]`: HTTPS, and mutual
// TLS, on loopback, with certificates made for the test by the openssl CLI
// (docs/deploy.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "server_process.h"

namespace insource {
namespace {

using test::ServerProcess;
using test::TempDir;

const char kCase[] = R"({"id":"tls","facts":{"cost":{"hours":10,"internal_rate":50,"external_rate":20}}})";

// Runs a shell command; fails the test when it fails.
void sh(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  ASSERT_EQ(rc, 0) << cmd;
}

// A CA, a server certificate for 127.0.0.1 it signed, a client certificate
// it signed, and a client certificate another CA signed.
void make_certificates(const TempDir& d) {
  const std::string dir = d.path().string();
  auto req = [&](const std::string& name, const std::string& cn) {
    sh("openssl req -newkey rsa:2048 -nodes -keyout " + dir + "/" + name + ".key -subj /CN=" + cn + " -out " + dir +
       "/" + name + ".csr");
  };
  for (const char* ca : {"ca", "other-ca"})
    sh(std::string("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=insource-test-") + ca + " -keyout " +
       dir + "/" + ca + ".key -out " + dir + "/" + ca + ".pem");
  req("server", "127.0.0.1");
  d.write("server.ext", "subjectAltName=IP:127.0.0.1\n");
  sh("openssl x509 -req -days 2 -in " + dir + "/server.csr -CA " + dir + "/ca.pem -CAkey " + dir +
     "/ca.key -CAcreateserial -extfile " + dir + "/server.ext -out " + dir + "/server.pem");
  req("client", "client");
  sh("openssl x509 -req -days 2 -in " + dir + "/client.csr -CA " + dir + "/ca.pem -CAkey " + dir +
     "/ca.key -CAcreateserial -out " + dir + "/client.pem");
  req("stranger", "stranger");
  sh("openssl x509 -req -days 2 -in " + dir + "/stranger.csr -CA " + dir + "/other-ca.pem -CAkey " + dir +
     "/other-ca.key -CAcreateserial -out " + dir + "/stranger.pem");
}

std::unique_ptr<httplib::SSLClient> client(const TempDir& d, int port, const std::string& cert = "") {
  auto c = cert.empty() ? std::make_unique<httplib::SSLClient>("127.0.0.1", port)
                        : std::make_unique<httplib::SSLClient>("127.0.0.1", port, d.file(cert + ".pem"),
                                                               d.file(cert + ".key"));
  c->set_ca_cert_path(d.file("ca.pem").c_str());
  c->enable_server_certificate_verification(true);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(10, 0);
  return c;
}

TEST(ServeTls, HttpsWithAServerCertificate) {
  TempDir d;
  make_certificates(d);
  ServerProcess s(d, {"--tls-cert", d.file("server.pem"), "--tls-key", d.file("server.key")});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  EXPECT_NE(s.stderr_text().find("listening on https://127.0.0.1:"), std::string::npos) << s.stderr_text();
  auto c = client(d, s.port());
  auto r = c->Post("/v1/decide", kCase, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["id"], "tls");
  // Plain HTTP to the HTTPS port gets no answer.
  auto plain = s.client();
  plain->set_read_timeout(2, 0);
  auto p = plain->Get("/healthz");
  EXPECT_TRUE(!p || p->status != 200);
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeTls, MutualTlsAcceptsOnlyClientsTheCaSigned) {
  TempDir d;
  make_certificates(d);
  ServerProcess s(d, {"--tls-cert", d.file("server.pem"), "--tls-key", d.file("server.key"), "--tls-client-ca",
                      d.file("ca.pem")});
  ASSERT_TRUE(s.running()) << s.stderr_text();
  auto good = client(d, s.port(), "client");
  auto r = good->Post("/v1/decide", kCase, "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  // No client certificate: the handshake fails.
  auto none = client(d, s.port());
  EXPECT_FALSE(none->Get("/healthz"));
  // A certificate another CA signed: refused too.
  auto stranger = client(d, s.port(), "stranger");
  EXPECT_FALSE(stranger->Get("/healthz"));
  // The server is still there for the right client.
  auto again = client(d, s.port(), "client");
  auto h = again->Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeTls, BadTlsFilesAreAClearError) {
  TempDir d;
  make_certificates(d);
  ServerProcess missing(d, {"--tls-cert", d.file("nope.pem"), "--tls-key", d.file("server.key")});
  EXPECT_FALSE(missing.running());
  EXPECT_EQ(missing.exit_status(), 2);
  EXPECT_NE(missing.stderr_text().find("nope.pem"), std::string::npos) << missing.stderr_text();
  ServerProcess mismatched(d, {"--tls-cert", d.file("server.pem"), "--tls-key", d.file("client.key")});
  EXPECT_FALSE(mismatched.running());
  EXPECT_EQ(mismatched.exit_status(), 2);
  EXPECT_NE(mismatched.stderr_text().find("do not load"), std::string::npos) << mismatched.stderr_text();
  ServerProcess half(d, {"--tls-cert", d.file("server.pem")});
  EXPECT_FALSE(half.running());
  EXPECT_NE(half.stderr_text().find("both --tls-cert and --tls-key"), std::string::npos) << half.stderr_text();
}

}  // namespace
}  // namespace insource
