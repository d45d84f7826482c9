/* Reads live processes' syscall totals straight from the kernel map, as the same wire records the
 * kernel writes at exit, so a long-running process is reported without waiting for it to end. */
#ifndef SCOPE_COUNTS_FLUSH_H
#define SCOPE_COUNTS_FLUSH_H
#include <stdbool.h>
#include <stddef.h>

/* Totals, then histograms (hists_fd < 0: none). Calls emit for every record built; returns the number of processes read, or a negative errno. */
int scope_counts_flush(int counts_fd, int hists_fd, bool enter_only,
		       void (*emit)(void *ctx, const void *rec, size_t len), void *ctx);
#endif
