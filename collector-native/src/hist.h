/* Reading the latency histograms of bpf/scope_events.h (SCOPE_HIST_BUCKETS log-linear buckets). */
#ifndef SCOPE_HIST_H
#define SCOPE_HIST_H
#include <stdint.h>

/* The smallest value a bucket holds, in ns. */
uint64_t scope_hist_lower(unsigned b);
/* The q-quantile (0 < q <= 1), interpolated linearly inside its bucket; 0 for an empty histogram. */
uint64_t scope_hist_quantile(const uint32_t *buckets, unsigned n, double q);
#endif
