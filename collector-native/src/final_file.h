/* --final-file: the collector's last word in batching mode. After the final batch has gone to the
 * sender, one JSON line says where this instance's record indices ended, so that a silo started
 * after the one it sent to died (kill -9) can tell how many records were lost in flight: those with
 * an index below next_event that it neither received nor finds counted in send_drops. */
#ifndef SCOPE_FINAL_FILE_H
#define SCOPE_FINAL_FILE_H
#include <stdint.h>

#include "frame.h"
#include "jbuf.h"

struct scope_final_state {
	char collector_id[SCOPE_ID_LEN + 1];
	char machine_id[SCOPE_ID_LEN + 1];
	uint64_t instance;
	uint64_t next_event; /* the index the next record would get: a batch header's first_event */
	uint64_t send_drops; /* cumulative, as a batch header's send_drops */
	uint64_t batches;    /* batches built (sealed), sent or not: the last sequence used */
	const char *reason;  /* "parent-gone", "signal", "command-exited" or "finished" */
	uint64_t at_unix_ns; /* CLOCK_REALTIME */
};

/* The state as the framer's batches carry it: ids and instance from the header every batch
 * repeats, next_event and batches from its counters (records in an open batch count as used). */
void scope_final_fill(struct scope_final_state *st, const struct scope_framer *f, uint64_t send_drops,
		      const char *reason, uint64_t at_unix_ns);
/* Appends the line (with its '\n') to b; 0, or -ENOMEM when b could not grow. */
int scope_final_format(struct jbuf *b, const struct scope_final_state *st);
/* Replaces path with data atomically: writes path.tmp (mode 0600) beside it, fsyncs it, renames it
 * over path, then fsyncs the directory. 0, or -errno (path.tmp removed, path untouched). */
int scope_final_write(const char *path, const char *data, size_t len);
#endif
