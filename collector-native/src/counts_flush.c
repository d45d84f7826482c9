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

/* Histograms of live processes, named and dated from their totals entry. */
static void flush_hists(int counts_fd, int hists_fd, __u64 now,
			void (*emit)(void *ctx, const void *rec, size_t len), void *ctx,
			struct scope_proc_counts *v)
{
	struct scope_syscall_hist r;
	struct scope_proc_hist h;
	__u64 key, next;
	__u64 *prev = NULL;
	__u32 cached = 0;
	bool have = false;
	while (bpf_map_get_next_key(hists_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		__u32 tgid = key >> 32;
		if (bpf_map_lookup_elem(hists_fd, &key, &h))
			continue;
		if (!have || cached != tgid) {
			have = bpf_map_lookup_elem(counts_fd, &tgid, v) == 0;
			cached = tgid;
		}
		if (!have)
			continue;
		memset(&r, 0, sizeof(r));
		r.hdr.type = SCOPE_EV_SYSCALL_HIST;
		r.hdr.size = sizeof(r);
		r.hdr.ts_ns = now;
		r.hdr.start_ns = v->start_ns;
		r.hdr.pid = tgid;
		r.hdr.tid = tgid;
		memcpy(r.hdr.comm, v->comm, sizeof(r.hdr.comm));
		r.nr = (__u32)key;
		memcpy(r.buckets, h.buckets, sizeof(r.buckets));
		emit(ctx, &r, sizeof(r));
	}
}

int scope_counts_flush(int counts_fd, int hists_fd, bool enter_only,
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
	if (hists_fd >= 0)
		flush_hists(counts_fd, hists_fd, now, emit, ctx, v);
	free(v);
	free(r);
	return procs;
}
