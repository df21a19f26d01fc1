#include "plugin_host/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace insource {

namespace {

// A mode bit the kernel ignores (open masks the mode to 07777): set by the
// SIGSYS handler on the opens it makes itself for a plugin, inside the
// private folder, so that the filter lets those through.
constexpr unsigned long kHandlerOpen = 0x40000000UL;

char g_dir[4096];        // the private folder, with no trailing slash
size_t g_dir_len = 0;
char* g_denied = nullptr;  // in the shared page
unsigned g_denied_size = 0;

long landlock_abi() {
#ifdef __NR_landlock_create_ruleset
  long abi = ::syscall(__NR_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : abi;
#else
  return 0;
#endif
}

// --- in the SIGSYS handler: async-signal-safe only (no malloc, no stdio) ---

struct Text {
  char* p;
  size_t left;
  void add(const char* s) {
    while (*s && left > 1) *p++ = *s++, --left;
    *p = '\0';
  }
  void add_num(long v) {
    char buf[24];
    int n = 0;
    unsigned long u = v < 0 ? static_cast<unsigned long>(-v) : static_cast<unsigned long>(v);
    do buf[n++] = static_cast<char>('0' + u % 10), u /= 10;
    while (u && n < 23);
    if (v < 0) add("-");
    while (n > 0) {
      char c[2] = {buf[--n], '\0'};
      add(c);
    }
  }
};

bool has_dotdot(const char* path) {
  for (const char* s = path; *s; ++s)
    if (s[0] == '.' && s[1] == '.' && (s == path || s[-1] == '/') && (s[2] == '/' || s[2] == '\0')) return true;
  return false;
}

bool under_dir(const char* base, size_t len) {
  return len >= g_dir_len && std::memcmp(base, g_dir, g_dir_len) == 0 && (len == g_dir_len || base[g_dir_len] == '/');
}

// Whether an open for writing of `path` (relative to `dirfd`) stays in the private folder, by name.
bool inside_private_dir(int dirfd, const char* path) {
  if (!path || has_dotdot(path)) return false;
  if (path[0] == '/') return under_dir(path, std::strlen(path));
  char base[4096];
  long n;
  if (dirfd == AT_FDCWD) {
    n = ::syscall(SYS_getcwd, base, sizeof base);
    if (n <= 0) return false;
    n = static_cast<long>(std::strlen(base));
  } else {
    char link[64] = "/proc/self/fd/";
    Text t{link + std::strlen(link), sizeof link - std::strlen(link)};
    t.add_num(dirfd);
    n = ::syscall(SYS_readlink, link, base, sizeof base - 1);
    if (n <= 0) return false;
    base[n] = '\0';
  }
  return under_dir(base, static_cast<size_t>(n));
}

[[noreturn]] void deny(const char* what, const char* detail, long number) {
  if (g_denied && g_denied_size > 1) {
    Text t{g_denied, g_denied_size};
    t.add(what);
    if (detail) {
      t.add(" ");
      t.add(detail);
    }
    if (number >= 0) {
      t.add(" (");
      t.add_num(number);
      t.add(")");
    }
  }
  ::_exit(kSandboxDeniedStatus);
}

void on_sigsys(int, siginfo_t* info, void* context) {
#if defined(__x86_64__)
  auto* uc = static_cast<ucontext_t*>(context);
  greg_t* g = uc->uc_mcontext.gregs;
  const int nr = info->si_syscall;
  if (nr == SYS_openat || nr == SYS_open || nr == SYS_creat) {
    int dirfd = AT_FDCWD;
    const char* path = nullptr;
    long flags = 0;
    unsigned long mode = 0;
    if (nr == SYS_openat) {
      dirfd = static_cast<int>(g[REG_RDI]);
      path = reinterpret_cast<const char*>(g[REG_RSI]);
      flags = g[REG_RDX];
      mode = static_cast<unsigned long>(g[REG_R10]);
    } else if (nr == SYS_open) {
      path = reinterpret_cast<const char*>(g[REG_RDI]);
      flags = g[REG_RSI];
      mode = static_cast<unsigned long>(g[REG_RDX]);
    } else {
      path = reinterpret_cast<const char*>(g[REG_RDI]);
      flags = O_CREAT | O_WRONLY | O_TRUNC;
      mode = static_cast<unsigned long>(g[REG_RSI]);
    }
    if (inside_private_dir(dirfd, path)) {
      const int saved = errno;
      long r = ::syscall(SYS_openat, dirfd, path, flags, mode | kHandlerOpen);
      g[REG_RAX] = r == -1 ? -errno : r;
      errno = saved;
      return;
    }
    deny("write outside its private folder: open for writing", path ? path : "(null)", -1);
  }
  switch (nr) {
    case SYS_socket: deny("use the network: socket, address family", nullptr, g[REG_RDI]);
    case SYS_socketpair: deny("make a socket: socketpair", nullptr, -1);
    case SYS_fork: deny("start a process: fork", nullptr, -1);
    case SYS_vfork: deny("start a process: vfork", nullptr, -1);
    case SYS_clone: deny("start a process: clone without CLONE_THREAD", nullptr, -1);
    case SYS_execve: deny("run a program: execve", reinterpret_cast<const char*>(g[REG_RDI]), -1);
    case SYS_execveat: deny("run a program: execveat", reinterpret_cast<const char*>(g[REG_RSI]), -1);
    case SYS_ptrace: deny("trace a process: ptrace", nullptr, -1);
    case SYS_process_vm_readv:
    case SYS_process_vm_writev: deny("reach into another process's memory: process_vm_readv/writev", nullptr, -1);
    case SYS_kill: deny("signal another process: kill, pid", nullptr, g[REG_RDI]);
    case SYS_tgkill: deny("signal another process: tgkill, pid", nullptr, g[REG_RDI]);
    case SYS_rt_sigaction: deny("take over the sandbox's signal: sigaction(SIGSYS)", nullptr, -1);
    case SYS_io_uring_setup: deny("bypass system call checks: io_uring_setup", nullptr, -1);
    default: deny("make a system call the sandbox denies, number", nullptr, nr);
  }
#else
  (void)info;
  (void)context;
  deny("make a system call the sandbox denies", nullptr, -1);
#endif
}

void add(scmp_filter_ctx ctx, uint32_t action, int nr, std::initializer_list<scmp_arg_cmp> args = {}) {
  int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()), args.size() ? args.begin() : nullptr);
  if (rc != 0) throw std::runtime_error("seccomp: cannot add a rule for system call " + std::to_string(nr) + ": " +
                                        std::strerror(-rc));
}

void restrict_writes_with_landlock(long abi, std::string* applied) {
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                           LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                           LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                           LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                           LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
  if (abi >= 2) attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3) attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  int ruleset = static_cast<int>(::syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0));
  if (ruleset < 0) {
    *applied += "; Landlock could not be set up (" + std::string(std::strerror(errno)) + ")";
    return;
  }
  landlock_path_beneath_attr beneath{};
  beneath.allowed_access = attr.handled_access_fs;
  beneath.parent_fd = ::open(g_dir, O_PATH | O_CLOEXEC);
  bool ok = beneath.parent_fd >= 0 &&
            ::syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) == 0 &&
            ::syscall(__NR_landlock_restrict_self, ruleset, 0) == 0;
  if (beneath.parent_fd >= 0) ::close(beneath.parent_fd);
  ::close(ruleset);
  *applied += ok ? "; Landlock (ABI " + std::to_string(abi) + "): writes only beneath the private folder"
                 : "; Landlock could not be applied (" + std::string(std::strerror(errno)) + ")";
}

}  // namespace

std::string SandboxSupport::describe() const {
  std::string s = std::string("seccomp ") + (seccomp ? "yes" : "no") + ", Landlock ";
  s += landlock_abi > 0 ? "ABI " + std::to_string(landlock_abi) : std::string("no (writes are checked by name only)");
  s += std::string(", user and network namespaces ") + (namespaces ? "yes" : "no");
  return s;
}

SandboxSupport sandbox_support() {
  SandboxSupport s;
  s.landlock_abi = static_cast<int>(landlock_abi());
  if (scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW)) {
    s.seccomp = seccomp_api_get() >= 1;
    seccomp_release(ctx);
  }
  // Namespaces: tried in a child, which then ends.
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : 1);
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid) s.namespaces = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return s;
}

std::string enter_sandbox(const std::string& dir, char* denied, unsigned size) {
  if (dir.empty() || dir.size() >= sizeof g_dir) throw std::runtime_error("sandbox: no usable private folder");
  std::memcpy(g_dir, dir.c_str(), dir.size() + 1);
  g_dir_len = dir.size();
  while (g_dir_len > 1 && g_dir[g_dir_len - 1] == '/') g_dir[--g_dir_len] = '\0';
  g_denied = denied;
  g_denied_size = size;
  std::string applied = "seccomp: no network, no new processes, no writes outside " + dir;

  // Namespaces first (a new user namespace cannot be made under the seccomp
  // filter's clone rules). The parent-death signal does not survive the new
  // credentials: set it again.
  const uid_t uid = ::getuid();
  const gid_t gid = ::getgid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The same ids inside as outside (files in the private folder keep their owner).
    auto write_file = [](const char* path, const std::string& text) {
      int fd = ::open(path, O_WRONLY | O_CLOEXEC);
      if (fd < 0) return;
      (void)!::write(fd, text.data(), text.size());
      ::close(fd);
    };
    write_file("/proc/self/setgroups", "deny");
    write_file("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1");
    write_file("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1");
    applied += "; own user and network namespaces";
  } else {
    applied += "; namespaces unavailable (" + std::string(std::strerror(errno)) + ")";
  }
  if (::chdir(g_dir) != 0) throw std::runtime_error("sandbox: cannot enter " + dir + ": " + std::strerror(errno));
  ::setenv("TMPDIR", g_dir, 1);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw std::runtime_error(std::string("sandbox: PR_SET_NO_NEW_PRIVS: ") + std::strerror(errno));
  if (long abi = landlock_abi(); abi > 0) restrict_writes_with_landlock(abi, &applied);
  else applied += "; no Landlock in this kernel: writes are checked by name only";

  struct sigaction sa {};
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGSYS, &sa, nullptr) != 0) throw std::runtime_error("sandbox: cannot handle SIGSYS");

  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) throw std::runtime_error("sandbox: seccomp_init failed");
  try {
    const uint32_t trap = SCMP_ACT_TRAP;
    for (int nr : {SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(execve),
                   SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
                   SCMP_SYS(io_uring_setup)})
      add(ctx, trap, nr);
    // Threads are clone(CLONE_THREAD ...); anything else makes a process.
    add(ctx, trap, SCMP_SYS(clone), {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)});
    // clone3's flags are behind a pointer the filter cannot read: glibc
    // falls back to clone on ENOSYS.
    add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3));
    add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2));
    const scmp_datum_t self = static_cast<scmp_datum_t>(::getpid());
    add(ctx, trap, SCMP_SYS(kill), {SCMP_A0(SCMP_CMP_NE, self)});
    add(ctx, trap, SCMP_SYS(tgkill), {SCMP_A0(SCMP_CMP_NE, self)});
    add(ctx, trap, SCMP_SYS(rt_sigaction), {SCMP_A0(SCMP_CMP_EQ, SIGSYS)});
    // Opens for writing, unless the handler makes them (kHandlerOpen).
    struct {
      int nr;
      unsigned flags_arg, mode_arg;
    } opens[] = {{SCMP_SYS(open), 1, 2}, {SCMP_SYS(openat), 2, 3}};
    for (const auto& o : opens) {
      const scmp_arg_cmp not_handler{o.mode_arg, SCMP_CMP_MASKED_EQ, kHandlerOpen, 0};
      add(ctx, trap, o.nr, {{o.flags_arg, SCMP_CMP_MASKED_EQ, O_ACCMODE, O_WRONLY}, not_handler});
      add(ctx, trap, o.nr, {{o.flags_arg, SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDWR}, not_handler});
      add(ctx, trap, o.nr, {{o.flags_arg, SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT}, not_handler});
      add(ctx, trap, o.nr, {{o.flags_arg, SCMP_CMP_MASKED_EQ, O_TRUNC, O_TRUNC}, not_handler});
    }
    add(ctx, trap, SCMP_SYS(creat));
    int rc = seccomp_load(ctx);
    if (rc != 0) throw std::runtime_error(std::string("sandbox: seccomp_load: ") + std::strerror(-rc));
  } catch (...) {
    seccomp_release(ctx);
    throw;
  }
  seccomp_release(ctx);
  return applied;
}

}  // namespace insource
