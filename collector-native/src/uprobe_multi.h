/* Many uprobes on one library of one process as a single BPF link (BPF_TRACE_UPROBE_MULTI,
 * Linux 6.6+). Closing a uprobe link waits for an RCU grace period, about 0.1 s on these hosts,
 * once per link: one link per library and direction instead of one per function makes detaching
 * a process 30 times faster. libbpf 1.1 and the distribution's UAPI headers predate it, so the
 * attach type is read from the kernel's own BTF (kernel_features.h) and the link is made with the
 * raw syscall. */
#ifndef SCOPE_UPROBE_MULTI_H
#define SCOPE_UPROBE_MULTI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Attaches prog_fd (loaded with expected attach type `type`) at the n file offsets of `path`,
 * each with its cookie, for process `pid`; at the functions' returns when `ret`. Returns the
 * link's fd, or -errno. */
int scope_uprobe_multi_attach(int prog_fd, int type, const char *path, pid_t pid, const uint64_t *offsets,
			      const uint64_t *cookies, unsigned n, bool ret);

#endif
