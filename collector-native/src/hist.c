#include <linux/types.h>

#include "hist.h"
#include "scope_events.h"

uint64_t scope_hist_lower(unsigned b)
{
	if (b < 2)
		return 0;
	return (uint64_t)(2 + (b & 1)) << (b / 2 - 1);
}

uint64_t scope_hist_quantile(const uint32_t *buckets, unsigned n, double q)
{
	uint64_t total = 0;
	for (unsigned b = 0; b < n; b++)
		total += buckets[b];
	if (!total)
		return 0;
	/* the rank of the wanted sample, 1-based */
	double rank = q * (double)total;
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned b = 0; b < n; b++) {
		if (!buckets[b])
			continue;
		if ((double)(seen + buckets[b]) >= rank) {
			uint64_t lo = scope_hist_lower(b);
			uint64_t hi = b + 1 < n ? scope_hist_lower(b + 1) : lo;
			if (b == 0)
				hi = 2;
			double frac = (rank - (double)seen) / (double)buckets[b];
			return lo + (uint64_t)((double)(hi - lo) * frac);
		}
		seen += buckets[b];
	}
	return scope_hist_lower(n - 1);
}
