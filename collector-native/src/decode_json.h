/* Turns wire records (bpf/scope_events.h) into JSON lines, the format docs/collector.md defines. */
#ifndef SCOPE_DECODE_JSON_H
#define SCOPE_DECODE_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"
#include "scope_events.h"

enum scope_decode_result {
	SCOPE_DECODE_OK = 0,
	SCOPE_DECODE_SHORT = -1,        /* shorter than a header, or than its own size field */
	SCOPE_DECODE_BAD_SIZE = -2,     /* size field does not match the type's fixed size */
	SCOPE_DECODE_UNKNOWN_TYPE = -3, /* a newer collector's record: skipped */
};

/*
 * One process's totals can span several syscall_counts records written together; the decoder
 * merges records with the same (pid, start_ns, ts_ns) into one line, which it writes when a
 * different record arrives or on scope_json_flush().
 */
struct scope_json_decoder {
	/* Names a CUDA kernel's host stub for a process, or NULL (then "kernel" is left out). */
	const char *(*kernel_name)(void *ctx, uint32_t pid, uint64_t host_fun);
	void *kernel_ctx;
	/* Names a user-space address of a process ("function+0x1c (module)"); NULL: frames stay bare. */
	void (*symbolize)(void *ctx, uint32_t pid, uint64_t addr, char *out, size_t outlen);
	void *symbolize_ctx;
	/* Names a process's Python code object; false leaves "function" and "file" out. */
	bool (*py_names)(void *ctx, uint32_t pid, uint64_t code, const char **function, const char **file);
	void *py_ctx;
	int has_pending;
	struct scope_event_header pending_hdr;
	uint16_t pending_flags;
	uint16_t n;
	struct scope_syscall_count e[SCOPE_SYSCALL_MAX];
};

const char *scope_event_type_name(uint16_t type);
int scope_json_decode(struct scope_json_decoder *d, const void *rec, size_t len, struct jbuf *out);
void scope_json_flush(struct scope_json_decoder *d, struct jbuf *out);

#endif
