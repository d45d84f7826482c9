// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Python sampler. A perf event on each CPU fires at the sampling rate; when it interrupts a
 * target, this program finds the interrupted thread's Python thread state and walks its frames.
 *
 * The thread state is found by the thread's native id in the interpreter's list of threads, never
 * through the GIL holder: a thread inside a C call (a CUDA library through ctypes) has released the
 * GIL, and the holder is then another thread or nobody. The offsets come from the interpreter's own
 * headers (scope_py_offsets, filled in by the collector per process); a process the collector has not
 * looked at yet is reported on the control ring once, and is not sampled until it has.
 */
#include "scope_common.bpf.h"
#include "python_walk.bpf.h"
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("perf_event")
int py_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (!tgid || !is_target(tgid))
		return 0;
	struct scope_py_proc *p = bpf_map_lookup_elem(&py_procs, &tgid);
	if (!p) {
		ask_collector(tgid);
		return 0;
	}
	if (p->state != SCOPE_PY_READY)
		return 0;

	struct scope_python_sample *s = bpf_ringbuf_reserve(&events, sizeof(*s), 0);
	if (!s) {
		count_drop(SCOPE_DROP_RINGBUF);
		return 0;
	}
	fill_header(&s->hdr, SCOPE_EV_PYTHON_SAMPLE, sizeof(*s), bpf_get_current_task_btf(), bpf_ktime_get_boot_ns());
	__u32 n = fill_python_stack(s, p, tid);
	s->n = n;
	long got = bpf_get_stack(ctx, s->native, sizeof(s->native), BPF_F_USER_STACK);
	__u32 nn = got > 0 ? (__u32)(got / sizeof(__u64)) : 0;
	for (__u32 i = 0; i < SCOPE_STACK_MAX; i++)
		if (i >= nn)
			s->native[i] = 0;
	s->n_native = nn;
	submit_event(s);
	return 0;
}

/*
 * Exact calls where the interpreter fires its USDT probes (Debian's python3.11 has them; the pyenv
 * builds do not). Entries wait on a per-thread stack until their return. A return that does not
 * match the open entry on top (a probe attached mid-call) closes nothing.
 */
#define PY_CALL_DEPTH 64

struct py_open_call {
	__u64 ts;
	__u64 function; /* the entry's function-name pointer, to match the return with */
	__u32 line;
	__u32 _pad;
};

struct py_call_stack {
	__u32 depth; /* open entries, including those beyond PY_CALL_DEPTH (not kept) */
	__u32 _pad;
	struct py_open_call open[PY_CALL_DEPTH];
};

/* LRU: the stacks of threads that ended go without anyone deleting them. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct py_call_stack);
} py_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_call_stack);
} py_call_init SEC(".maps");

SEC("usdt")
int BPF_USDT(py_entry, void *file, void *function, int line)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct py_call_stack *st = bpf_map_lookup_elem(&py_calls, &tid);
	if (!st) {
		__u32 zero = 0;
		struct py_call_stack *empty = bpf_map_lookup_elem(&py_call_init, &zero);
		if (!empty || bpf_map_update_elem(&py_calls, &tid, empty, BPF_NOEXIST))
			return 0;
		st = bpf_map_lookup_elem(&py_calls, &tid);
		if (!st) {
			count_drop(SCOPE_DROP_INFLIGHT_FULL);
			return 0;
		}
	}
	__u32 d = st->depth;
	if (d < PY_CALL_DEPTH) {
		struct py_open_call *o = &st->open[d & (PY_CALL_DEPTH - 1)];
		o->ts = bpf_ktime_get_boot_ns();
		o->function = (__u64)function;
		o->line = line;
	}
	st->depth = d + 1;
	return 0;
}

SEC("usdt")
int BPF_USDT(py_return, void *file, void *function, int line)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct py_call_stack *st = bpf_map_lookup_elem(&py_calls, &tid);
	if (!st || !st->depth)
		return 0;
	__u32 d = st->depth - 1;
	st->depth = d;
	if (d >= PY_CALL_DEPTH)
		return 0;
	struct py_open_call *o = &st->open[d & (PY_CALL_DEPTH - 1)];
	if (o->function != (__u64)function)
		return 0;
	struct scope_python_call *c = bpf_ringbuf_reserve(&events, sizeof(*c), 0);
	if (!c) {
		count_drop(SCOPE_DROP_RINGBUF);
		return 0;
	}
	fill_header(&c->hdr, SCOPE_EV_PYTHON_CALL, sizeof(*c), bpf_get_current_task_btf(), o->ts);
	c->dur_ns = bpf_ktime_get_boot_ns() - o->ts;
	c->line = o->line;
	c->depth = d;
	c->flags = 0;
	if (bpf_probe_read_user_str(c->function, sizeof(c->function), function) < 0)
		c->function[0] = 0;
	long n = bpf_probe_read_user_str(c->file, sizeof(c->file), file);
	if (n < 0)
		c->file[0] = 0;
	else if (n == sizeof(c->file))
		c->flags = SCOPE_EXEC_FILENAME_TRUNCATED;
	submit_event(c);
	return 0;
}
