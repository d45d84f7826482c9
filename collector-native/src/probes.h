/* Loading the probe families. Each family has its own skeleton and loader; they share the maps of
 * bpf/scope_common.bpf.h, created by the process family (always loaded) and reused by the rest. */
#ifndef SCOPE_PROBES_H
#define SCOPE_PROBES_H
#include <sys/types.h>

#include "args.h"

struct process_bpf;
struct syscalls_bpf;

struct scope_probes {
	struct process_bpf *process;
	struct syscalls_bpf *syscalls;
	struct cuda_bpf *cuda;
	struct scope_cuda_state *cuda_state; /* uprobes attached, per process */
	struct python_bpf *python;
	struct scope_python_state *python_state; /* the perf events */
	int events_fd, targets_fd, drops_fd, control_fd, counts_fd, hists_fd;
	int py_procs_fd; /* the python family's per-process interpreter map */
	int py_known_fd; /* and the code objects it has read, per process */
};

struct bpf_map;
/* Points another family's copies of the shared maps at the process family's (before its load). */
int scope_probes_share_maps(const struct scope_probes *p, struct bpf_map *events, struct bpf_map *targets,
			    struct bpf_map *drops, struct bpf_map *control);

/* Each returns 0 or a negative errno; messages go to stderr. */
int process_probes_load(struct scope_probes *p, const struct scope_args *a);
int syscalls_probes_load(struct scope_probes *p, const struct scope_args *a);
int cuda_probes_load(struct scope_probes *p, const struct scope_args *a);
/* The Python sampler: a perf event per CPU at --python-hz. */
int python_probes_load(struct scope_probes *p, const struct scope_args *a);
void scope_python_destroy(struct scope_probes *p);
/* Attaches the interpreter's USDT call probes for one process when binary has them; returns 1 when
 * attached, 0 when there are none (or already attached), or a negative errno. */
int scope_python_attach_usdt(struct scope_probes *p, pid_t pid, const char *binary);
void scope_python_detach_usdt(struct scope_probes *p, pid_t pid);
/*
 * Attaches the CUDA uprobes to one process: to every CUDA runtime it maps (with exe: a command
 * SCOPE starts, also every one it may load from lib_path, its RPATH/RUNPATH and the ld.so cache;
 * cuda_libs.h) and to its dynamic loader's _dl_debug_state, so that a dlopen, and ld.so loading
 * the program's own libraries, stops it for another look. Idempotent per library. Returns the
 * number of libraries newly attached, or a negative errno (-ESRCH: the process is gone).
 */
int scope_cuda_attach(struct scope_probes *p, pid_t pid, const char *exe, const char *lib_path);
/* A process traced from its first instruction (command, exec): its threads' device is known. */
void scope_cuda_set_from_start(struct scope_probes *p, pid_t pid);
bool scope_cuda_from_start(const struct scope_probes *p, pid_t pid);
/* Whether a target's forked child is stopped in the kernel until attached (a control record). */
/* Driver calls made inside runtime calls so far: part of those, not reported on their own. */
uint64_t scope_cuda_nested_total(const struct scope_probes *p);
bool scope_cuda_stops_at_fork(const struct scope_probes *p);
/* Drops a process's uprobes (it exited). */
void scope_cuda_detach(struct scope_probes *p, pid_t pid);
/* Adds a command name to the in-kernel comm filter. */
int process_probes_add_comm(struct scope_probes *p, const char *comm);
void scope_probes_destroy(struct scope_probes *p);
#endif
