// insource: decide whether to keep a project in house or hand it out, and why.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "common.h"
#include "io/host_output.h"
#include "core/fact_schema.h"  // closest_name

#ifndef INSOURCE_VERSION
#define INSOURCE_VERSION "0.0.0"
#endif

namespace {

// The first word that is not an option (nor --log-level's value), when it is
// not one of the commands; nullptr otherwise (CLI11 reports the rest).
const char* unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--log-level") {
      ++i;
      continue;
    }
    if (a.starts_with("-")) continue;
    try {
      app.get_subcommand(std::string(a));
      return nullptr;
    } catch (const CLI::OptionNotFound&) {
      return argv[i];
    }
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any plugin can print: the records get a descriptor of their own.
  insource::keep_stdout_for_host();
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
  insource::cli::register_report(app, &exit_code);
  insource::cli::register_weights(app, &exit_code);
  insource::cli::register_calibrate(app, &exit_code);

  // A mistyped command ("dcide") would otherwise read as "a subcommand is
  // required" plus stray arguments; name it and the command it is closest to.
  if (const char* unknown = unknown_command(app, argc, argv)) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) names.push_back(sub->get_name());
    std::vector<std::string_view> views(names.begin(), names.end());
    std::string near = insource::closest_name(unknown, views);
    std::cerr << "insource: `" << unknown << "` is not a command";
    if (!near.empty()) std::cerr << "; did you mean `" << near << "`?";
    std::cerr << "\nRun `insource --help` for the list of commands.\n";
    return insource::cli::kExitUsage;
  }

  app.parse_complete_callback([&]() { spdlog::set_level(spdlog::level::from_str(log_level)); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : insource::cli::kExitUsage;
  }
  return exit_code;
}
