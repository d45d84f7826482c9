#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "counts_flush.h"
#include "scope_maps.h"

static __u64 boot_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int scope_counts_flush(int counts_fd, bool enter_only,
		       void (*emit)(void *ctx, const void *rec, size_t len), void *ctx)
{
	struct scope_proc_counts *v = malloc(sizeof(*v));
	struct scope_syscall_counts *r = malloc(sizeof(*r));
	if (!v || !r) {
		free(v);
		free(r);
		return -ENOMEM;
	}
	__u32 key, next;
	__u32 *prev = NULL;
	int procs = 0;
	__u64 now = boot_ns();
	while (bpf_map_get_next_key(counts_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(counts_fd, &key, v))
			continue; /* exited between the two calls: the kernel reported it */
		memset(r, 0, sizeof(*r));
		r->hdr.type = SCOPE_EV_SYSCALL_COUNTS;
		r->hdr.size = sizeof(*r);
		r->hdr.ts_ns = now;
		r->hdr.start_ns = v->start_ns;
		r->hdr.pid = key;
		r->hdr.tid = key;
		memcpy(r->hdr.comm, v->comm, sizeof(r->hdr.comm));
		r->flags = enter_only ? SCOPE_COUNTS_ENTER_ONLY : 0;
		for (unsigned nr = 0; nr < SCOPE_SYSCALL_MAX; nr++) {
			if (!v->count[nr])
				continue;
			struct scope_syscall_count *c = &r->e[r->n++];
			c->nr = nr;
			c->count = v->count[nr];
			c->errors = v->errors[nr];
			c->total_ns = v->total_ns[nr];
			if (r->n == SCOPE_COUNTS_PER_RECORD) {
				emit(ctx, r, sizeof(*r));
				r->n = 0;
				memset(r->e, 0, sizeof(r->e));
			}
		}
		if (r->n)
			emit(ctx, r, sizeof(*r));
		procs++;
	}
	free(v);
	free(r);
	return procs;
}
