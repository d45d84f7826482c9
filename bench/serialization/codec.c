// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The codecs side by side, and the comparison that proves they carry the same records. */
#include <string.h>

#include "codec.h"

const struct codec codecs[FMT_COUNT] = {
	[FMT_FIXED] = { "fixed structs (SCOPE)", fixed_encode, fixed_decode },
	[FMT_MP_ARRAY] = { "MessagePack, array per record", mp_encode_array, mp_decode },
	[FMT_MP_MAP] = { "MessagePack, map per record", mp_encode_map, mp_decode },
};

static bool same_bytes(const void *a, uint32_t an, const void *b, uint32_t bn)
{
	return an == bn && !memcmp(a, b, an);
}

bool ev_equal(const struct ev *a, const struct ev *b)
{
	if (a->type != b->type || a->cpu != b->cpu || a->pid != b->pid || a->tid != b->tid ||
	    a->ts_ns != b->ts_ns || a->start_ns != b->start_ns || a->flags != b->flags ||
	    !same_bytes(a->comm, a->comm_len, b->comm, b->comm_len))
		return false;
	switch (a->type) {
	case SCOPE_EV_SYSCALL_DATA:
		if (a->data_kind != b->data_kind || !same_bytes(a->data, a->data_len, b->data, b->data_len))
			return false;
		/* fall through */
	case SCOPE_EV_SYSCALL:
		return a->nr == b->nr && a->ret == b->ret && a->dur_ns == b->dur_ns &&
		       !memcmp(a->args, b->args, sizeof(a->args));
	case SCOPE_EV_PROCESS_EXEC:
		return a->ppid == b->ppid && a->uid == b->uid && a->cgroup_id == b->cgroup_id &&
		       a->argc == b->argc && a->old_pid == b->old_pid &&
		       same_bytes(a->filename, a->filename_len, b->filename, b->filename_len) &&
		       same_bytes(a->argv, a->argv_len, b->argv, b->argv_len);
	default:
		return true;
	}
}
