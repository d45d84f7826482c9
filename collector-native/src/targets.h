/* The target set: a bitmap of thread-group ids shared with the BPF programs (bpf/scope_maps.h). */
#ifndef SCOPE_TARGETS_H
#define SCOPE_TARGETS_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct scope_targets {
	uint64_t *bits; /* mmap of the `targets` array map */
};

int scope_targets_map(struct scope_targets *t, int map_fd);
void scope_targets_unmap(struct scope_targets *t);
void scope_targets_add(struct scope_targets *t, pid_t pid);
void scope_targets_remove(struct scope_targets *t, pid_t pid);
bool scope_targets_has(const struct scope_targets *t, pid_t pid);

/* Parses /proc/PID/stat text: the command name (which may hold spaces and parentheses) and the
 * parent pid. Returns 0, or -1 on malformed input. */
int scope_parse_proc_stat(const char *text, size_t len, char *comm, size_t commlen, pid_t *ppid);

/* Adds every running process whose comm is in comms[n]; returns how many. */
int scope_targets_add_by_comm(struct scope_targets *t, char (*comms)[16], int n);
/* Adds every running descendant of the processes already in the set; returns how many. */
int scope_targets_add_descendants(struct scope_targets *t);
#endif
