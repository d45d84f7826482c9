/* Events the kernel side could not deliver, counted per CPU and reason (bpf/scope_maps.h). */
#ifndef SCOPE_DROPS_H
#define SCOPE_DROPS_H
#include <stdbool.h>
#include <stdint.h>

#include "jbuf.h"
#include "scope_maps.h"

struct scope_drops {
	int fd;
	int ncpus;
	uint64_t total[SCOPE_DROP_REASONS];
	uint64_t reported[SCOPE_DROP_REASONS];
};

const char *scope_drop_reason_name(int reason);
int scope_drops_init(struct scope_drops *d, int map_fd);
/* Reads the map; appends a "drops" JSON line when a count grew since the last report. */
void scope_drops_check(struct scope_drops *d, struct jbuf *out);
uint64_t scope_drops_sum(const struct scope_drops *d);
#endif
