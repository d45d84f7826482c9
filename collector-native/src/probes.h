/* Loading the probe families. Each family has its own skeleton and loader; they share the maps of
 * bpf/scope_common.bpf.h, created by the process family (always loaded) and reused by the rest. */
#ifndef SCOPE_PROBES_H
#define SCOPE_PROBES_H
#include "args.h"

struct process_bpf;
struct syscalls_bpf;

struct scope_probes {
	struct process_bpf *process;
	struct syscalls_bpf *syscalls;
	int events_fd, targets_fd, drops_fd, counts_fd, hists_fd;
};

/* Each returns 0 or a negative errno; messages go to stderr. */
int process_probes_load(struct scope_probes *p, const struct scope_args *a);
int syscalls_probes_load(struct scope_probes *p, const struct scope_args *a);
/* Adds a command name to the in-kernel comm filter. */
int process_probes_add_comm(struct scope_probes *p, const char *comm);
void scope_probes_destroy(struct scope_probes *p);
#endif
