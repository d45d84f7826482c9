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
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PY_MAX_THREADS 256  /* threads of one interpreter searched for the sampled one */
#define PY_MAX_WALK 96      /* frames walked (C-stack shim frames are skipped, not recorded) */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct scope_py_proc);
} py_procs SEC(".maps");

/* Frames are gathered here, one bpf_loop step each, then copied into the record: a loop the
 * verifier checks once, whatever the number of frames kept so far. */
struct py_scratch {
	struct scope_py_frame frames[SCOPE_PY_MAX_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_scratch);
} py_scratch SEC(".maps");

struct walk {
	struct scope_py_offsets off;
	__u64 frame;
	__u32 n;
	__u32 truncated;
};

static __always_inline __u64 read_ptr(__u64 addr)
{
	__u64 v = 0;
	if (addr)
		bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* Once per process: ask the collector to look at it (the sample itself is not taken). */
static __always_inline void ask_collector(__u32 tgid)
{
	struct scope_py_proc asked = { .state = SCOPE_PY_ASKED };
	if (bpf_map_update_elem(&py_procs, &tgid, &asked, BPF_NOEXIST))
		return; /* someone asked already */
	struct scope_control *c = bpf_ringbuf_reserve(&control, sizeof(*c), 0);
	if (!c) {
		bpf_map_delete_elem(&py_procs, &tgid); /* ask again at the next sample */
		count_drop(SCOPE_DROP_RINGBUF);
		return;
	}
	c->pid = tgid;
	c->reason = SCOPE_CONTROL_PY_CHECK;
	c->ts_ns = bpf_ktime_get_boot_ns();
	bpf_ringbuf_submit(c, 0);
}

static __always_inline __u64 find_thread_state(const struct scope_py_proc *p, __u32 tid)
{
	const struct scope_py_offsets *o = &p->off;
	__u64 interp = read_ptr(p->runtime + o->interp_head);
	__u64 ts = read_ptr(interp + o->threads_head);
	for (int i = 0; i < PY_MAX_THREADS && ts; i++) {
		__u64 native = 0;
		bpf_probe_read_user(&native, sizeof(native), (void *)(ts + o->ts_native_tid));
		if (native == tid)
			return ts;
		ts = read_ptr(ts + o->ts_next);
	}
	return 0;
}

static long walk_frame(__u32 i, struct walk *w)
{
	const struct scope_py_offsets *o = &w->off;
	__u64 frame = w->frame;
	if (!frame)
		return 1;
	__u32 zero = 0;
	struct py_scratch *sc = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!sc)
		return 1;
	__u64 code = read_ptr(frame + o->fr_code);
	__u64 instr = read_ptr(frame + o->fr_instr);
	__u8 owner = 0;
	bpf_probe_read_user(&owner, 1, (void *)(frame + o->fr_owner));
	if (code && owner != o->owner_cstack) {
		if (w->n >= SCOPE_PY_MAX_FRAMES) {
			w->truncated = 1;
			return 1;
		}
		__u64 first = code + o->co_code_adaptive;
		struct scope_py_frame *f = &sc->frames[w->n & (SCOPE_PY_MAX_FRAMES - 1)];
		f->code = code;
		f->instr = instr >= first && instr - first < (1u << 30) ? (__s32)((instr - first) / 2) : -1;
		f->line = 0;
		w->n++;
	}
	w->frame = read_ptr(frame + o->fr_previous);
	return 0;
}

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
	s->flags = 0;
	s->version = (__u16)(p->off.version_hex >> 16);
	const struct scope_py_offsets *o = &p->off;
	__u32 n = 0;
	__u64 ts = find_thread_state(p, tid);
	if (!ts) {
		s->flags = SCOPE_PY_NO_THREAD;
	} else {
		struct walk w = { .off = *o };
		w.frame = o->ts_cframe != SCOPE_PY_NONE ? read_ptr(read_ptr(ts + o->ts_cframe) + o->current_frame)
							  : read_ptr(ts + o->current_frame);
		__u32 zero = 0;
		struct py_scratch *sc = bpf_map_lookup_elem(&py_scratch, &zero);
		if (sc) {
			bpf_loop(PY_MAX_WALK, walk_frame, &w, 0);
			n = w.n < SCOPE_PY_MAX_FRAMES ? w.n : SCOPE_PY_MAX_FRAMES;
			if (w.truncated)
				s->flags |= SCOPE_PY_TRUNCATED;
			bpf_probe_read_kernel(s->frames, sizeof(s->frames), sc->frames);
		}
	}
	for (__u32 i = 0; i < SCOPE_PY_MAX_FRAMES; i++)
		if (i >= n)
			s->frames[i] = (struct scope_py_frame){ 0, 0, 0 };
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
