// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SCOPE's own format: encoding is the memcpy the collector does (scope_framer_add), decoding walks
 * the records by their size field and reads each field at its fixed offset, as the silo does
 * with BinaryPrimitives. Unknown types are skipped by size, which is what keeps the format open.
 */
#include <stddef.h>
#include <string.h>

#include "codec.h"

/* One little-endian field at its offset; memcpy compiles to a single load on x86. */
#define LD(p, T, f)                                               \
	({                                                        \
		__typeof__(((T *)0)->f) _v;                        \
		memcpy(&_v, (p) + offsetof(T, f), sizeof(_v));     \
		_v;                                               \
	})

bool fixed_encode(struct scope_framer *f, const struct scope_event_header *rec)
{
	return scope_framer_add(f, rec, rec->size);
}

static void header(struct ev *e, const uint8_t *r)
{
	typedef struct scope_event_header H;
	e->type = LD(r, H, type);
	e->cpu = LD(r, H, cpu);
	e->ts_ns = LD(r, H, ts_ns);
	e->start_ns = LD(r, H, start_ns);
	e->pid = LD(r, H, pid);
	e->tid = LD(r, H, tid);
	e->comm = (const char *)r + offsetof(H, comm);
	/* NUL-padded: the length is found, where MessagePack would carry it */
	e->comm_len = strnlen(e->comm, SCOPE_COMM_LEN);
}

static void syscall(struct ev *e, const uint8_t *r)
{
	typedef struct scope_syscall S;
	e->nr = LD(r, S, nr);
	e->flags = LD(r, S, flags);
	e->ret = LD(r, S, ret);
	e->dur_ns = LD(r, S, dur_ns);
	memcpy(e->args, r + offsetof(S, args), sizeof(e->args));
}

long fixed_decode(const uint8_t *p, size_t len, struct ev *out, size_t max)
{
	size_t off = 0, n = 0;
	while (off < len) {
		const uint8_t *r = p + off;
		if (len - off < sizeof(struct scope_event_header))
			return -1;
		uint16_t type = LD(r, struct scope_event_header, type);
		uint16_t size = LD(r, struct scope_event_header, size);
		if (size < sizeof(struct scope_event_header) || size > len - off)
			return -1;
		off += size;
		if (n == max)
			return -1;
		struct ev *e = &out[n];
		switch (type) {
		case SCOPE_EV_SYSCALL:
			if (size != sizeof(struct scope_syscall))
				return -1;
			header(e, r);
			syscall(e, r);
			break;
		case SCOPE_EV_SYSCALL_DATA: {
			typedef struct scope_syscall_data D;
			if (size != sizeof(D))
				return -1;
			header(e, r);
			syscall(e, r);
			e->data_kind = LD(r, D, data_kind);
			e->data_len = LD(r, D, data_len);
			if (e->data_len > SCOPE_DATA_LEN)
				e->data_len = SCOPE_DATA_LEN;
			e->data = r + offsetof(D, data);
			break;
		}
		case SCOPE_EV_PROCESS_EXEC: {
			typedef struct scope_process_exec X;
			if (size != sizeof(X))
				return -1;
			header(e, r);
			e->ppid = LD(r, X, info.ppid);
			e->uid = LD(r, X, info.uid);
			e->cgroup_id = LD(r, X, info.cgroup_id);
			e->argc = LD(r, X, argc);
			e->flags = LD(r, X, flags);
			e->old_pid = LD(r, X, old_pid);
			e->filename_len = LD(r, X, filename_len);
			if (e->filename_len > SCOPE_FILENAME_LEN)
				e->filename_len = SCOPE_FILENAME_LEN;
			e->filename = (const char *)r + offsetof(X, filename);
			e->argv_len = LD(r, X, argv_len);
			if (e->argv_len > SCOPE_ARGV_LEN)
				e->argv_len = SCOPE_ARGV_LEN;
			e->argv = r + offsetof(X, argv);
			break;
		}
		default:
			continue; /* a type this reader does not know: skipped by its size */
		}
		n++;
	}
	return n;
}
