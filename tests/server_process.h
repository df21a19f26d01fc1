// The real `insource serve` in a child process on a free loopback port, for
// the integration tests: started with --listen 127.0.0.1:0 (the kernel picks
// the port, the server says which on stderr), always stopped (SIGTERM, then
// SIGKILL) when the object goes, and killed with the test runner if that dies.
#ifndef INSOURCE_TESTS_SERVER_PROCESS_H_
#define INSOURCE_TESTS_SERVER_PROCESS_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace insource::test {

namespace fs = std::filesystem;

// A scratch folder for one test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("insource-serve-test-" + std::to_string(::getpid()) + "-" +
                                        (info ? std::string(info->test_suite_name()) + "." + info->name() : "x"));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& path() const { return dir_; }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  // Writes a file atomically (a new file renamed over the old one).
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = dir_ / name, tmp = dir_ / (name + ".tmp");
    {
      std::ofstream o(tmp, std::ios::binary);
      o << text;
    }
    fs::rename(tmp, p);
    return p.string();
  }

 private:
  fs::path dir_;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of one series in a /metrics text, or -1.
inline long long metric_value(const std::string& text, const std::string& series) {
  size_t at = text.rfind("\n" + series + " ");
  if (at == std::string::npos) return text.compare(0, series.size() + 1, series + " ") == 0 ? std::stoll(text.substr(series.size() + 1)) : -1;
  return std::stoll(text.substr(at + series.size() + 2));
}

// /metrics once the series given have the values given (2 s at most): the
// request counters and latencies are recorded after a response is written,
// so the client may see the response a moment before they count it.
inline std::string settled_metrics(httplib::Client& c, const std::vector<std::pair<std::string, long long>>& expect,
                                   const httplib::Headers& headers = {}) {
  std::string text;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (true) {
    auto r = c.Get("/metrics", headers);
    text = r ? r->body : "";
    bool all = true;
    for (const auto& [series, value] : expect) all = all && metric_value(text, series) == value;
    if (all || std::chrono::steady_clock::now() > until) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

class ServerProcess {
 public:
  // Starts `insource serve --listen 127.0.0.1:0 ARGS...`, stderr (and stdout)
  // into files under `dir`; waits until it listens.
  ServerProcess(const TempDir& dir, const std::vector<std::string>& args) {
    // A client writing to a connection the server closed (over a limit) must
    // see an error, not die of SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    static int serial = 0;
    err_path_ = dir.file("serve-" + std::to_string(++serial) + ".err");
    out_path_ = dir.file("serve-" + std::to_string(serial) + ".out");
    std::vector<std::string> argv_s = {INSOURCE_BINARY, "serve"};
    if (std::find(args.begin(), args.end(), "--listen") == args.end()) {
      argv_s.push_back("--listen");
      argv_s.push_back("127.0.0.1:0");
    }
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    // Everything the child needs is made before fork(): after it, only
    // async-signal-safe calls (other threads may hold the allocator's lock).
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const char* err_path = err_path_.c_str();
    const char* out_path = out_path_.c_str();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int err = ::open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int out = ::open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(err, 2);
      ::dup2(out, 1);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    // Wait for "listening on http://127.0.0.1:PORT".
    static const std::regex kListening(R"(listening on https?://127\.0\.0\.1:(\d+))");
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      std::smatch m;
      std::string err = slurp(err_path_);
      if (std::regex_search(err, m, kListening)) {
        port_ = std::stoi(m[1]);
        return;
      }
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the server did not start listening:\n" << slurp(err_path_);
  }

  ~ServerProcess() { stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool running() const { return pid_ > 0 && port_ > 0; }
  int port() const { return port_; }
  std::string stderr_text() const { return slurp(err_path_); }
  std::string stdout_text() const { return slurp(out_path_); }

  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(20, 0);
    c->set_write_timeout(20, 0);
    return c;
  }

  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }

  // SIGTERM, and the exit status (SIGKILL after `grace`).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10000)) {
    if (pid_ <= 0) return exit_status_;
    ::kill(pid_, SIGTERM);
    return wait(grace);
  }

  // Waits for the process to end by itself (SIGKILL after `limit`).
  int wait(std::chrono::milliseconds limit) {
    if (pid_ <= 0) return exit_status_;
    auto until = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (true) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() > until) {
        ADD_FAILURE() << "the server did not stop in time; killed";
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_status_;
  }

  int exit_status() const { return exit_status_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = -1;
  std::string err_path_, out_path_;
};

}  // namespace insource::test

#endif  // INSOURCE_TESTS_SERVER_PROCESS_H_
