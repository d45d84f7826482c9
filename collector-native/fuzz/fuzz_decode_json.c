/*
 * scope_json_decode / scope_json_flush (src/decode_json.c): wire records (bpf/scope_events.h) to
 * JSON lines. A record from a buggy BPF program or a corrupted buffer must never crash the
 * collector or make it write anything but valid JSON lines.
 *
 * Each input is used twice:
 *  1. as one record, with a fresh decoder, then a flush;
 *  2. as records back to back, as in a batch payload: each record is as long as its header's size
 *     field says when that fits in what is left (else the rest is the last record); one decoder
 *     and one output buffer for all of them, then a flush;
 *  3. when it starts with a counts record with flag 0x8000: that record over and over, its
 *     syscall numbers changed each time, until one process has more distinct syscalls than the
 *     decoder keeps.
 * Every record is copied to its own heap block, ending exactly where the record ends and at an odd
 * address, so ASan catches any read past it and UBSan any misaligned access.
 *
 * Properties checked after every call:
 *  - the result agrees with the header: SHORT below a header or below the size, UNKNOWN_TYPE for a
 *    type outside 1..9, BAD_SIZE when size is not the type's fixed size, OK otherwise;
 *  - a rejected record writes nothing and leaves any pending counts alone;
 *  - an accepted one appends only complete lines: exactly one of its own type (after the line of
 *    pending counts it ends, if any), except a counts record, which adds to the pending line
 *    (0 lines, or 1 when it ends a pending line with another key);
 *  - every line is valid UTF-8 and one strict JSON object without duplicate keys, whose first
 *    member is "type" with the record's type name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_json.h"
#include "json_check.h"
#include "syscall_table.h"

/* A counts record with this (unused) flag also runs mode 3. */
#define MANY_SYSCALLS 0x8000

static const uint8_t *cur_data;
static size_t cur_size;

static void die(const char *what, const struct jbuf *b, size_t from)
{
	fprintf(stderr, "fuzz_decode_json: %s\n", what);
	json_dump("input", (const char *)cur_data, cur_size);
	if (b && b->len > from)
		json_dump("output", b->p + from, b->len - from);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (scope_syscalls_init() != 0) {
		fprintf(stderr, "fuzz_decode_json: the syscall table does not parse\n");
		abort();
	}
	return 0;
}

static size_t fixed_size(uint16_t type)
{
	switch (type) {
	case SCOPE_EV_PROCESS_EXEC: return 1360;
	case SCOPE_EV_PROCESS_FORK: return 80;
	case SCOPE_EV_PROCESS_EXIT: return 72;
	case SCOPE_EV_SYSCALL: return 120;
	case SCOPE_EV_SYSCALL_DATA: return 384;
	case SCOPE_EV_SYSCALL_COUNTS: return 1080;
	case SCOPE_EV_SYSCALL_HIST: return 440;
	case SCOPE_EV_CUDA_CALL: return 144;
	case SCOPE_EV_CUDA_REGISTER: return 592;
	case SCOPE_EV_CUDA_STACK: return 312;
	case SCOPE_EV_SYMBOL: return 392;
	case SCOPE_EV_PYTHON_SAMPLE: return 1336;
	case SCOPE_EV_PYTHON_CODE: return 448;
	case SCOPE_EV_PYTHON_CALL: return 320;
	}
	return 0;
}

/* The "type" of each record's line, as docs/collector.md names them. */
static const char *type_name(uint16_t type)
{
	static const char *const names[] = { NULL, "process_exec", "process_fork", "process_exit", "syscall",
					     "syscall", "syscall_counts", "syscall_hist",
					     "cuda", "cuda_register", "cuda_stack", "symbol",
					     "python_sample", "python_code", "python_call" };
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Checks b->p[from .. b->len): complete lines, each valid, the first max_types of them of the
 * given types; returns how many. */
static unsigned check_lines(const struct jbuf *b, size_t from, const char **types, size_t max_types)
{
	if (b->oom)
		die("output buffer out of memory", NULL, 0);
	size_t n = b->len - from;
	if (n == 0)
		return 0;
	const char *s = b->p + from;
	if (n && s[n - 1] != '\n')
		die("output does not end with a complete line", b, from);
	unsigned lines = 0;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t l = nl - (s + i);
		const char *line = s + i;
		const char *why = NULL;
		size_t at = 0;
		if (l == 0)
			die("empty line", b, from);
		if (!json_utf8_valid(line, l))
			die("a line is not valid UTF-8", b, from);
		if (!json_check(line, l, JSON_TOP_OBJECT | JSON_NO_DUP_KEYS, &why, &at)) {
			fprintf(stderr, "  why: %s at byte %zu of the line\n", why, at);
			json_dump("line", line, l);
			die("a line is not one valid JSON object", b, from);
		}
		static const char pre[] = "{\"type\":\"";
		if (lines < max_types) {
			size_t tl = strlen(types[lines]);
			if (l < sizeof(pre) - 1 + tl + 1 || memcmp(line, pre, sizeof(pre) - 1) != 0 ||
			    memcmp(line + sizeof(pre) - 1, types[lines], tl) != 0 || line[sizeof(pre) - 1 + tl] != '"') {
				fprintf(stderr, "  expected type %s\n", types[lines]);
				json_dump("line", line, l);
				die("a line does not start with the expected type", b, from);
			}
		}
		lines++;
		i += l + 1;
	}
	return lines;
}

static void decode_one(struct scope_json_decoder *d, const uint8_t *rec_src, size_t len, struct jbuf *b)
{
	/* An exact, odd-aligned copy: the record may sit anywhere in a received frame. */
	uint8_t *block = malloc(len + 1);
	if (!block)
		abort();
	uint8_t *rec = block + 1;
	if (len) /* rec_src may be the end of the input */
		memcpy(rec, rec_src, len);

	int had_pending = d->has_pending;
	struct scope_event_header ph = d->pending_hdr;
	uint16_t pflags = d->pending_flags, pn = d->n;
	size_t before = b->len;

	int r = scope_json_decode(d, rec, len, b);

	int want;
	uint16_t type = 0, size = 0;
	if (len < sizeof(struct scope_event_header)) {
		want = SCOPE_DECODE_SHORT;
	} else {
		type = le16(rec);
		size = le16(rec + 2);
		if (!fixed_size(type))
			want = SCOPE_DECODE_UNKNOWN_TYPE;
		else if (size != fixed_size(type))
			want = SCOPE_DECODE_BAD_SIZE;
		else if (len < size)
			want = SCOPE_DECODE_SHORT;
		else
			want = SCOPE_DECODE_OK;
	}
	if (r != want) {
		fprintf(stderr, "  result %d, expected %d (len %zu, type %u, size %u)\n", r, want, len, type, size);
		die("unexpected decode result", b, before);
	}
	if (r != SCOPE_DECODE_OK) {
		if (b->len != before)
			die("a rejected record wrote output", b, before);
		if (d->has_pending != had_pending || (had_pending && (d->n != pn || d->pending_flags != pflags ||
								       memcmp(&d->pending_hdr, &ph, sizeof(ph)) != 0)))
			die("a rejected record changed the pending counts", b, before);
	} else {
		const char *types[2];
		unsigned nt = 0;
		struct scope_event_header hdr;
		memcpy(&hdr, rec, sizeof(hdr));
		uint16_t flags;
		if (type == SCOPE_EV_SYSCALL_COUNTS) {
			memcpy(&flags, rec + offsetof(struct scope_syscall_counts, flags), sizeof(flags));
			int ends = had_pending && (ph.pid != hdr.pid || ph.start_ns != hdr.start_ns || ph.ts_ns != hdr.ts_ns ||
						   pflags != flags);
			if (ends)
				types[nt++] = "syscall_counts";
			if (!d->has_pending)
				die("a counts record left nothing pending", b, before);
		} else {
			if (had_pending && type != SCOPE_EV_SYSCALL_HIST)
				types[nt++] = "syscall_counts";
			types[nt++] = type_name(type);
			if (type != SCOPE_EV_SYSCALL_HIST && d->has_pending)
				die("pending counts not written before another record", b, before);
		}
		unsigned lines = check_lines(b, before, types, nt);
		if (lines != nt) {
			fprintf(stderr, "  %u lines, expected %u\n", lines, nt);
			die("wrong number of lines for the record", b, before);
		}
	}
	free(block);
}

static void flush(struct scope_json_decoder *d, struct jbuf *b)
{
	int had = d->has_pending;
	size_t before = b->len;
	scope_json_flush(d, b);
	const char *types[1] = { "syscall_counts" };
	unsigned lines = check_lines(b, before, types, 1);
	if (lines != (unsigned)had)
		die("flush wrote the wrong number of lines", b, before);
	if (d->has_pending)
		die("counts still pending after a flush", b, before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scope_json_decoder d; /* 16 KiB: not on the stack */
	struct jbuf b = { 0 };
	cur_data = data;
	cur_size = size;

	/* 1. the whole input as one record */
	memset(&d, 0, sizeof(d));
	decode_one(&d, data, size, &b);
	flush(&d, &b);

	/* 2. records back to back */
	memset(&d, 0, sizeof(d));
	jb_reset(&b);
	size_t off = 0;
	do {
		size_t rem = size - off, len = rem;
		if (rem >= 4) {
			uint16_t sz = le16(data + off + 2);
			if (sz >= 4 && sz <= rem)
				len = sz;
		}
		decode_one(&d, data + off, len, &b);
		off += len;
	} while (off < size);
	flush(&d, &b);

	/* 3. one process with more distinct syscalls than a pending line keeps (SCOPE_SYSCALL_MAX): a
	 * counts record seen as often as it takes, all its entries used, with other numbers each time.
	 * Merging is quadratic, so only inputs with the record's unused flag 0x8000 set do this. */
	if (size >= sizeof(struct scope_syscall_counts) && le16(data) == SCOPE_EV_SYSCALL_COUNTS &&
	    le16(data + 2) == sizeof(struct scope_syscall_counts) &&
	    (le16(data + offsetof(struct scope_syscall_counts, flags)) & MANY_SYSCALLS)) {
		static struct scope_syscall_counts r;
		memcpy(&r, data, sizeof(r));
		r.n = SCOPE_COUNTS_PER_RECORD;
		memset(&d, 0, sizeof(d));
		jb_reset(&b);
		uint32_t base = r.e[0].nr;
		for (unsigned j = 0; j <= SCOPE_SYSCALL_MAX;) {
			for (unsigned i = 0; i < SCOPE_COUNTS_PER_RECORD; i++)
				r.e[i].nr = base + j++;
			decode_one(&d, (const uint8_t *)&r, sizeof(r), &b);
		}
		flush(&d, &b);
		/* one line: every syscall an object with a "count" */
		unsigned entries = 0;
		for (const char *p = b.p; (p = memmem(p, b.p + b.len - p, "\":{\"count\":", 11)); p += 11)
			entries++;
		if (entries != SCOPE_SYSCALL_MAX) {
			fprintf(stderr, "  %u syscalls in the line, expected %u\n", entries, SCOPE_SYSCALL_MAX);
			die("a pending line does not keep SCOPE_SYSCALL_MAX syscalls", &b, 0);
		}
	}
	jb_free(&b);
	return 0;
}
