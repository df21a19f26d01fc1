// The sandbox of isolated plugin workers (--sandbox; docs/reliability.md
// section 2, "Sandbox"). What it takes away, and how:
//  - the network: socket() and socketpair() trap (seccomp), and the worker
//    is in a network namespace of its own when user namespaces are allowed;
//  - new processes: fork, vfork, clone without CLONE_THREAD (threads stay
//    allowed), execve, execveat trap; so do ptrace, process_vm_*, and kill
//    or tgkill aimed at another process;
//  - writes outside a private temporary folder (made by the host for each
//    worker, removed when it ends; the worker's cwd and $TMPDIR): an open
//    for writing outside it traps (checked by name in the handler), and
//    Landlock, where the kernel has it, denies every write access beneath
//    any other folder whatever the name (EACCES).
// A trapped call ends the worker with kSandboxDeniedStatus after writing
// what was tried into the shared page; the host makes that the fault.
#ifndef INSOURCE_PLUGIN_HOST_SANDBOX_H_
#define INSOURCE_PLUGIN_HOST_SANDBOX_H_

#include <string>

namespace insource {

// The exit status of a worker the sandbox stopped.
inline constexpr int kSandboxDeniedStatus = 87;

// What this machine offers (for `insource plugins` and the logs).
struct SandboxSupport {
  bool seccomp = false;     // libseccomp can load a filter
  int landlock_abi = 0;     // 0: no Landlock
  bool namespaces = false;  // unprivileged user + network namespaces
  std::string describe() const;
};
SandboxSupport sandbox_support();

// In the worker, before any plugin is loaded: enters the sandbox with
// `dir` as its private folder; `denied` (of `size` bytes, in the shared
// page) receives what a trapped call tried. Returns what applied, for the
// log; throws std::runtime_error when seccomp cannot be set up.
std::string enter_sandbox(const std::string& dir, char* denied, unsigned size);

}  // namespace insource

#endif  // INSOURCE_PLUGIN_HOST_SANDBOX_H_
