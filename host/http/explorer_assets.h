// The explorer's files, compiled into the binary from host/http/explorer/
// and examples/ (cmake/EmbedText.cmake).
#ifndef INSOURCE_SERVER_EXPLORER_ASSETS_H_
#define INSOURCE_SERVER_EXPLORER_ASSETS_H_

#include <string_view>

namespace insource::server {

std::string_view explorer_index_html();
std::string_view explorer_js();
std::string_view explorer_css();
// examples/cases/*.yaml, served at /examples/NAME.yaml, and
// examples/uncertain/candy-launch.yaml at /examples/candy-launch-uncertain.yaml.
std::string_view example_candy_launch();
std::string_view example_office_catering();
std::string_view example_back_office_accounting();
std::string_view example_candy_launch_uncertain();

}  // namespace insource::server

#endif  // INSOURCE_SERVER_EXPLORER_ASSETS_H_
