/* Synthetic SCOPE records with realistic contents, for the codecs to encode and decode. */
#ifndef SER_GEN_H
#define SER_GEN_H
#include <stddef.h>
#include <stdint.h>

#include "scope_events.h"

enum mix {
	MIX_SYSCALL,      /* only struct scope_syscall */
	MIX_SYSCALL_DATA, /* only struct scope_syscall_data, a path */
	MIX_EXEC,         /* only struct scope_process_exec */
	MIX_REAL,         /* 80% syscall, 15% syscall_data, 5% exec, in random order */
};

/* Records in the order they are sent; the pool is cycled through to fill batches. */
struct pool {
	const struct scope_event_header **rec;
	size_t n;
	uint8_t *mem;
};

int pool_make(struct pool *p, enum mix mix, size_t n, uint64_t seed);
void pool_free(struct pool *p);
const char *mix_name(enum mix mix);
#endif
