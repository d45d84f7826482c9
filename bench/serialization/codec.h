/*
 * The two wire formats for records inside a batch. Both encoders append to the collector's own
 * framer (collector-native/src/frame.c), so that batches are sealed and signed by the code that
 * ships; both decoders fill the same struct ev, which makes them comparable field by field and
 * timed doing the same job: handing a consumer every field of every record.
 */
#ifndef SER_CODEC_H
#define SER_CODEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* A decoded record. Strings and bytes point into the received buffer: neither format copies them. */
struct ev {
	uint16_t type;
	uint16_t flags;
	uint32_t cpu, pid, tid;
	uint64_t ts_ns, start_ns;
	const char *comm;
	uint32_t comm_len;
	/* syscall, syscall_data */
	uint32_t nr;
	int64_t ret;
	uint64_t dur_ns;
	uint64_t args[6];
	uint16_t data_kind;
	uint32_t data_len;
	const uint8_t *data;
	/* process_exec */
	uint32_t ppid, uid, argc, old_pid;
	uint64_t cgroup_id;
	uint32_t filename_len, argv_len;
	const char *filename;
	const uint8_t *argv;
};

enum fmt {
	FMT_FIXED,    /* SCOPE: the records as the kernel wrote them */
	FMT_MP_ARRAY, /* MessagePack, each record an array of its fields, by position */
	FMT_MP_MAP,   /* MessagePack, each record a map from field name to value */
	FMT_COUNT,
};

struct codec {
	const char *name;
	/* Appends one record to the open batch; false when it does not fit. */
	bool (*encode)(struct scope_framer *f, const struct scope_event_header *rec);
	/* Decodes a payload into out[0..max); returns the records decoded, -1 when malformed. */
	long (*decode)(const uint8_t *p, size_t len, struct ev *out, size_t max);
};

extern const struct codec codecs[FMT_COUNT];

bool fixed_encode(struct scope_framer *f, const struct scope_event_header *rec);
long fixed_decode(const uint8_t *p, size_t len, struct ev *out, size_t max);
bool mp_encode_array(struct scope_framer *f, const struct scope_event_header *rec);
bool mp_encode_map(struct scope_framer *f, const struct scope_event_header *rec);
long mp_decode(const uint8_t *p, size_t len, struct ev *out, size_t max);

/* True when a and b carry the same record (the fields its type has). */
bool ev_equal(const struct ev *a, const struct ev *b);
#endif
