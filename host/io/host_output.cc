#include "io/host_output.h"

#include <ext/stdio_filebuf.h>
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

namespace insource {

namespace {
int output_fd = 1;
}

void keep_stdout_for_host() {
  if (output_fd != 1) return;
  // CLOEXEC: workers and other children never inherit the host's output.
  const int fd = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return;  // no stdout at all: nothing to protect
  if (::dup2(2, 1) < 0) {
    ::close(fd);
    return;
  }
  output_fd = fd;
  // Never freed: std::cout is flushed at exit, after main's locals are gone.
  auto* buf = new __gnu_cxx::stdio_filebuf<char>(fd, std::ios::out, 1 << 16);
  std::cout.rdbuf(buf);
}

int host_output_fd() { return output_fd; }

}  // namespace insource
