# `insource serve`: the suites in serve_test.cc and server_*_test.cc start the
# real binary on a free loopback port and talk HTTP to it with cpp-httplib's
# client; the engine pieces (SHA-256, the policy store, the decision log and
# replay) are tested in-process. They are compiled into insource_tests, which
# therefore links the server library and cpp-httplib too.
if(TARGET insource_http AND TARGET httplib::httplib)
  # OpenSSL: the HTTPS tests (serve_tls_test.cc) use cpp-httplib's SSLClient.
  find_package(OpenSSL REQUIRED)
  target_link_libraries(insource_tests PRIVATE insource_http httplib::httplib OpenSSL::SSL)
  target_link_libraries(insource_analysis_tests PRIVATE insource_http httplib::httplib OpenSSL::SSL)
endif()
