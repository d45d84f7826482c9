#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "drops.h"

static const char *const names[SCOPE_DROP_REASONS] = {
	[SCOPE_DROP_RINGBUF] = "ringbuf",
	[SCOPE_DROP_INFLIGHT_FULL] = "inflight_full",
	[SCOPE_DROP_COUNTS_FULL] = "counts_full",
};

const char *scope_drop_reason_name(int reason)
{
	return reason >= 0 && reason < SCOPE_DROP_REASONS ? names[reason] : "unknown";
}

int scope_drops_init(struct scope_drops *d, int map_fd)
{
	memset(d, 0, sizeof(*d));
	d->fd = map_fd;
	d->ncpus = libbpf_num_possible_cpus();
	return d->ncpus > 0 ? 0 : d->ncpus;
}

uint64_t scope_drops_sum(const struct scope_drops *d)
{
	uint64_t s = 0;
	for (int r = 0; r < SCOPE_DROP_REASONS; r++)
		s += d->total[r];
	return s;
}

void scope_drops_check(struct scope_drops *d, struct jbuf *out)
{
	uint64_t *per_cpu = calloc((size_t)d->ncpus * SCOPE_DROP_REASONS, sizeof(uint64_t));
	if (!per_cpu)
		return;
	bool grew = false;
	for (__u32 r = 0; r < SCOPE_DROP_REASONS; r++) {
		if (bpf_map_lookup_elem(d->fd, &r, per_cpu + (size_t)r * d->ncpus))
			continue;
		uint64_t s = 0;
		for (int c = 0; c < d->ncpus; c++)
			s += per_cpu[(size_t)r * d->ncpus + c];
		d->total[r] = s;
		grew |= s != d->reported[r];
	}
	if (grew && out) {
		struct timespec ts;
		clock_gettime(CLOCK_BOOTTIME, &ts);
		jb_lit(out, "{\"type\":\"drops\"");
		jb_key(out, "ts_ns");
		jb_u64(out, (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec);
		jb_key(out, "pid");
		jb_u64(out, getpid());
		jb_key(out, "tid");
		jb_u64(out, getpid());
		jb_key(out, "comm");
		jb_lit(out, "\"scope-collector\"");
		for (int r = 0; r < SCOPE_DROP_REASONS; r++) {
			jb_key(out, names[r]);
			jb_u64(out, d->total[r]);
		}
		jb_key(out, "per_cpu");
		jb_lit(out, "{");
		for (int r = 0; r < SCOPE_DROP_REASONS; r++) {
			jb_key(out, names[r]);
			jb_lit(out, "[");
			for (int c = 0; c < d->ncpus; c++) {
				if (c)
					jb_lit(out, ",");
				jb_u64(out, per_cpu[(size_t)r * d->ncpus + c]);
			}
			jb_lit(out, "]");
		}
		jb_lit(out, "}}\n");
		memcpy(d->reported, d->total, sizeof(d->total));
	}
	free(per_cpu);
}
