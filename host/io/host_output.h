// The host's output (verdicts, records, reports) on a descriptor of its own.
// A plugin runs in this process (unless isolated) and may print: a banner
// from a static constructor, a debug line from evaluate. Its printf and
// std::cout go to fd 1, so fd 1 is pointed at stderr, and what the host
// writes goes to a copy of the original stdout that plugins do not know of.
#ifndef INSOURCE_IO_HOST_OUTPUT_H_
#define INSOURCE_IO_HOST_OUTPUT_H_

namespace insource {

// Call first thing in main(), before any plugin is loaded: moves stdout to
// a private descriptor, points fd 1 at stderr, and rebinds std::cout to the
// private descriptor. Safe to call once; does nothing if stdout is closed.
void keep_stdout_for_host();

// The descriptor of the host's output (1 until keep_stdout_for_host()).
int host_output_fd();

}  // namespace insource

#endif  // INSOURCE_IO_HOST_OUTPUT_H_
