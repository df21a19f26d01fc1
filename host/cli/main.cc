// insource: decide whether to keep a project in house or hand it out, and why.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "common.h"

#ifndef INSOURCE_VERSION
#define INSOURCE_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries verdicts, which programs read.
  auto logger = spdlog::stderr_color_mt("insource");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("insource: %l: %v");
  spdlog::set_level(spdlog::level::warn);

  CLI::App app{"insource: decide whether to keep a project in house (insource) or hand it to a third party "
               "(outsource), and why."};
  app.set_version_flag("--version", std::string("insource ") + INSOURCE_VERSION + " (plugin ABI " +
                                        std::to_string(INSOURCE_ABI_MAJOR) + "." + std::to_string(INSOURCE_ABI_MINOR) + ")");
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.require_subcommand(1);
  app.fallthrough();

  int exit_code = insource::cli::kExitOk;  // set by the subcommand that runs
  insource::cli::register_decide(app, &exit_code);
  insource::cli::register_check(app, &exit_code);
  insource::cli::register_plugins(app, &exit_code);
  insource::cli::register_facts(app, &exit_code);
  insource::cli::register_test(app, &exit_code);
  insource::cli::register_explain(app, &exit_code);
  insource::cli::register_diff(app, &exit_code);
  insource::cli::register_batch(app, &exit_code);
  insource::cli::register_new_plugin(app, &exit_code);
  insource::cli::register_serve(app, &exit_code);
  insource::cli::register_replay(app, &exit_code);

  app.parse_complete_callback([&]() { spdlog::set_level(spdlog::level::from_str(log_level)); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : insource::cli::kExitUsage;
  }
  return exit_code;
}
