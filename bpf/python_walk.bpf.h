/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Walking a thread's CPython frames, shared by the sampler (python.bpf.c) and the CUDA probes
 * (cuda.bpf.c), which put the Python stack on allocations and launches. The per-process map of
 * interpreters is the python family's; the cuda family reuses it.
 */
#ifndef SCOPE_PYTHON_WALK_BPF_H
#define SCOPE_PYTHON_WALK_BPF_H

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


/* Code objects the collector has read, per process: a CUDA call whose Python stack holds another
 * stops its process until the collector has read it (the process may be gone by the time the
 * collector would otherwise look). LRU: the entries of processes that ended go by themselves. */
struct py_code_key {
	__u32 pid;
	__u32 _pad;
	__u64 code;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct py_code_key);
	__type(value, __u8);
} py_known SEC(".maps");

static __always_inline bool all_codes_known(const struct scope_python_sample *s, __u32 pid)
{
	struct py_code_key k = { .pid = pid };
	for (__u32 i = 0; i < SCOPE_PY_MAX_FRAMES; i++) {
		if (i >= s->n)
			break;
		k.code = s->frames[i & (SCOPE_PY_MAX_FRAMES - 1)].code;
		if (!bpf_map_lookup_elem(&py_known, &k))
			return false;
	}
	return true;
}

/* Fills s's frames, n, flags and version from the thread's Python frames; returns n. */
static __always_inline __u32 fill_python_stack(struct scope_python_sample *s, const struct scope_py_proc *p, __u32 tid)
{
	const struct scope_py_offsets *o = &p->off;
	__u32 n = 0;
	s->flags = 0;
	s->version = (__u16)(o->version_hex >> 16);
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
	return n;
}

#endif /* SCOPE_PYTHON_WALK_BPF_H */
