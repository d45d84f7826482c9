/* Batches for the silo: records back to back behind a scope_batch_header, signed with
 * HMAC-SHA256 under the secret this collector was given (bpf/scope_events.h, docs/wire-format.md). */
#ifndef SCOPE_FRAME_H
#define SCOPE_FRAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scope_events.h"

#define SCOPE_SECRET_MAX 64

struct scope_framer {
	struct scope_batch_header tmpl; /* the fields fixed for this collector's life */
	struct evp_mac_ctx_st *mac;     /* HMAC-SHA256 keyed with the secret */
	uint8_t *buf; /* header, then payload */
	size_t len, cap;
	uint32_t records;
	uint64_t sequence;   /* of the next batch */
	uint64_t produced;   /* records put in batches so far (sent or not) */
};

struct scope_frame_ids {
	const char *machine_id;
	const char *collector_id;
	const char *task_id;
	const char *version;
};

/* max_payload: the largest payload a batch carries; a record never spans batches. */
int scope_framer_init(struct scope_framer *f, const struct scope_frame_ids *ids, uint64_t instance,
		      const uint8_t *secret, size_t secret_len, size_t max_payload);
void scope_framer_free(struct scope_framer *f);
/* Appends a record; false when it does not fit (seal and start a new batch first). */
bool scope_framer_add(struct scope_framer *f, const void *rec, size_t len);
/* Completes the header and the MAC. The batch is f->buf[0 .. return value). */
size_t scope_framer_seal(struct scope_framer *f, const uint64_t kernel_drops[3], uint64_t send_drops,
			 uint64_t realtime_ns, uint64_t boottime_ns, uint32_t flags);
/* After a sealed batch has been handed on: the next batch starts empty. */
void scope_framer_next(struct scope_framer *f);
/* HMAC-SHA256 of a whole frame with its mac field taken as zero; exposed for tests. */
int scope_frame_mac(const uint8_t *frame, size_t len, const uint8_t *secret, size_t secret_len,
		    uint8_t out[SCOPE_MAC_LEN]);
#endif
