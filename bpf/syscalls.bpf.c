// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Syscalls of the targets: per-process totals counted in the kernel, and full records with decoded
 * arguments for the configured set. Entry state lives in a hash keyed by thread id until the exit.
 */
#include "scope_common.bpf.h"
#include "syscall_capture.h" /* generated from bpf/syscalls_x86_64.tsv */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Counted at entry only, with no entry map: the mode for system-wide use. */
const volatile bool counts_only = false;
/* Bitmap of syscall numbers that produce full records. */
const volatile __u64 detail_mask[SCOPE_SYSCALL_MAX / 64] = {};

#define NR_EXIT 60
#define NR_EXIT_GROUP 231

struct inflight {
	__u64 ts;
	__u32 nr;
	__u32 _pad;
	__u64 args[6];
};

struct captured {
	__u16 len;
	__u16 kind;
	__u32 flags;
	char data[SCOPE_DATA_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* tid */
	__type(value, struct inflight);
	__uint(max_entries, 32768);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* tid */
	__type(value, struct captured);
	__uint(max_entries, 4096);
} captured SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* 12 KiB a process: pay only for processes seen */
	__type(key, __u32); /* tgid */
	__type(value, struct scope_proc_counts);
	__uint(max_entries, 32768);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* scope_hist_key(tgid, nr) */
	__type(value, struct scope_proc_hist);
	__uint(max_entries, 131072);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct scope_proc_counts);
	__uint(max_entries, 1);
} zero_counts SEC(".maps"); /* never written: the initial value of a new process's totals */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct scope_syscall_counts);
	__uint(max_entries, 1);
} counts_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct captured);
	__uint(max_entries, 1);
} captured_scratch SEC(".maps");

static __always_inline bool is_detail(__u32 nr)
{
	return nr < SCOPE_SYSCALL_MAX && (detail_mask[nr >> 6] & (1ull << (nr & 63)));
}

static __always_inline bool is_error(long ret)
{
	return ret < 0 && ret >= -4095;
}

static __always_inline struct scope_proc_counts *proc_counts(__u32 tgid)
{
	struct scope_proc_counts *c = bpf_map_lookup_elem(&counts, &tgid);
	if (c)
		return c;
	__u32 zero = 0;
	struct scope_proc_counts *z = bpf_map_lookup_elem(&zero_counts, &zero);
	if (!z)
		return NULL;
	bpf_map_update_elem(&counts, &tgid, z, BPF_NOEXIST); /* EEXIST: another thread won */
	c = bpf_map_lookup_elem(&counts, &tgid);
	if (!c) {
		count_drop(SCOPE_DROP_COUNTS_FULL);
		return NULL;
	}
	struct task_struct *t = bpf_get_current_task_btf();
	c->start_ns = t->group_leader->start_boottime;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	return c;
}

static __always_inline void record_latency(__u32 tgid, __u32 nr, __u64 dur)
{
	__u64 key = scope_hist_key(tgid, nr);
	struct scope_proc_hist *h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		struct scope_proc_hist zero = {};
		bpf_map_update_elem(&hists, &key, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h) {
			count_drop(SCOPE_DROP_COUNTS_FULL);
			return;
		}
	}
	__u32 b = scope_hist_bucket(dur);
	if (b < SCOPE_HIST_BUCKETS)
		__sync_fetch_and_add(&h->buckets[b], 1);
}

static __always_inline void count(__u32 tgid, __u32 nr, long ret, __u64 dur, bool with_result)
{
	struct scope_proc_counts *c = proc_counts(tgid);
	if (!c)
		return;
	nr &= SCOPE_SYSCALL_MAX - 1;
	__sync_fetch_and_add(&c->count[nr], 1);
	if (with_result) {
		if (is_error(ret))
			__sync_fetch_and_add(&c->errors[nr], 1);
		__sync_fetch_and_add(&c->total_ns[nr], dur);
	}
}

static __always_inline void fill_syscall(struct scope_syscall *e, __u16 type, __u16 size, __u32 nr,
					  __u64 ts, long ret, __u64 dur, const __u64 *args)
{
	fill_header(&e->hdr, type, size, bpf_get_current_task_btf(), ts);
	e->nr = nr;
	e->flags = 0;
	e->_pad0 = 0;
	e->ret = ret;
	e->dur_ns = dur;
	for (int i = 0; i < 6; i++)
		e->args[i] = args[i];
}

static __always_inline void emit_plain(__u32 nr, __u64 ts, long ret, __u64 dur, const __u64 *args,
				       __u16 flags)
{
	struct scope_syscall *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(SCOPE_DROP_RINGBUF);
		return;
	}
	fill_syscall(e, SCOPE_EV_SYSCALL, sizeof(*e), nr, ts, ret, dur, args);
	e->flags = flags;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void read_sockaddr(struct captured *c, __u64 ptr, __u64 len)
{
	if (len > sizeof(c->data))
		len = sizeof(c->data);
	barrier_var(len);
	if (len > sizeof(c->data))
		len = 0;
	if (ptr && len && bpf_probe_read_user(c->data, len, (void *)ptr) == 0)
		c->len = len;
	else
		c->len = 0;
}

/* Captures a path or address argument at entry, into a per-thread slot that the exit consumes. */
static __always_inline void capture_at_entry(__u32 tid, __u32 nr, const __u64 *args)
{
	__u32 arg = 0, lenarg = 0;
	__u32 kind = scope_sc_capture(nr, &arg, &lenarg);
	if (kind != SCOPE_CAPTURE_PATH && kind != SCOPE_CAPTURE_SOCKADDR)
		return;
	__u32 zero = 0;
	struct captured *c = bpf_map_lookup_elem(&captured_scratch, &zero);
	if (!c)
		return;
	c->flags = 0;
	if (kind == SCOPE_CAPTURE_PATH) {
		c->kind = SCOPE_DATA_PATH;
		long n = bpf_probe_read_user_str(c->data, sizeof(c->data), (void *)args[arg % 6]);
		c->len = n > 0 ? n - 1 : 0;
		if (n == sizeof(c->data))
			c->flags = SCOPE_SC_DATA_TRUNCATED;
	} else {
		c->kind = SCOPE_DATA_SOCKADDR;
		read_sockaddr(c, args[arg % 6], args[lenarg % 6]);
	}
	bpf_map_update_elem(&captured, &tid, c, BPF_ANY);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if (!is_target(tgid))
		return 0;
	if (id < 0 || id >= SCOPE_SYSCALL_MAX)
		return 0;
	__u32 nr = id;

	if (counts_only) {
		count(tgid, nr, 0, 0, false);
		return 0;
	}

	__u32 tid = (__u32)pid_tgid;
	struct inflight in = {
		.ts = bpf_ktime_get_boot_ns(),
		.nr = nr,
		.args = { regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9 },
	};
	if (nr == NR_EXIT || nr == NR_EXIT_GROUP) {
		/* These never return: count and report them now. */
		count(tgid, nr, 0, 0, true);
		if (is_detail(nr))
			emit_plain(nr, in.ts, 0, 0, in.args, SCOPE_SC_NO_RETURN);
		return 0;
	}
	if (bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY)) {
		count_drop(SCOPE_DROP_INFLIGHT_FULL);
		return 0;
	}
	if (is_detail(nr))
		capture_at_entry(tid, nr, in.args);
	return 0;
}

static __always_inline void emit_with_data(__u32 tid, struct inflight *in, long ret, __u64 dur)
{
	__u32 arg = 0, lenarg = 0;
	__u32 kind = scope_sc_capture(in->nr, &arg, &lenarg);
	struct captured *c = NULL;
	__u32 zero = 0;

	if (kind == SCOPE_CAPTURE_PATH || kind == SCOPE_CAPTURE_SOCKADDR) {
		c = bpf_map_lookup_elem(&captured, &tid);
	} else if (kind == SCOPE_CAPTURE_SOCKADDR_OUT && ret >= 0) {
		/* The kernel wrote the peer address and its length; read them now. */
		c = bpf_map_lookup_elem(&captured_scratch, &zero);
		if (c) {
			int alen = 0;
			__u64 lenp = in->args[lenarg % 6];
			if (lenp)
				bpf_probe_read_user(&alen, sizeof(alen), (void *)lenp);
			c->kind = SCOPE_DATA_SOCKADDR;
			c->flags = 0;
			read_sockaddr(c, in->args[arg % 6], alen > 0 ? alen : 0);
		}
	}
	if (!c) {
		emit_plain(in->nr, in->ts, ret, dur, in->args, 0);
		return;
	}
	struct scope_syscall_data *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(SCOPE_DROP_RINGBUF);
	} else {
		fill_syscall(&e->sc, SCOPE_EV_SYSCALL_DATA, sizeof(*e), in->nr, in->ts, ret, dur, in->args);
		e->sc.flags = c->flags;
		e->data_kind = c->kind;
		e->data_len = c->len;
		e->_pad0 = 0;
		__builtin_memcpy(e->data, c->data, sizeof(e->data));
		bpf_ringbuf_submit(e, 0);
	}
	if (kind != SCOPE_CAPTURE_SOCKADDR_OUT)
		bpf_map_delete_elem(&captured, &tid);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if (!is_target(tgid))
		return 0;
	__u32 tid = (__u32)pid_tgid;
	struct inflight *in = bpf_map_lookup_elem(&inflight, &tid);
	if (!in)
		return 0; /* entered before we attached, or its entry was dropped (counted) */
	__u64 dur = bpf_ktime_get_boot_ns() - in->ts;
	count(tgid, in->nr, ret, dur, true);
	record_latency(tgid, in->nr & (SCOPE_SYSCALL_MAX - 1), dur);
	if (is_detail(in->nr))
		emit_with_data(tid, in, ret, dur);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

struct flush_ctx {
	struct scope_proc_counts *c;
	struct scope_syscall_counts *r;
	__u32 tgid;
};

static __always_inline void clear_entries(struct scope_syscall_counts *r)
{
	/* Stale entries would carry another process's totals into this record. */
	__u64 *w = (__u64 *)r->e;
#pragma unroll
	for (int i = 0; i < SCOPE_COUNTS_PER_RECORD * 4; i++) {
		w[i] = 0;
		asm volatile("" ::: "memory"); /* keeps clang from turning this into memset */
	}
	r->n = 0;
}

static __always_inline void flush_record(struct scope_syscall_counts *r)
{
	if (bpf_ringbuf_output(&events, r, sizeof(*r), 0))
		count_drop(SCOPE_DROP_RINGBUF);
	clear_entries(r);
}

/* Writes and forgets the process's histogram of one syscall. */
static __always_inline void flush_hist(struct flush_ctx *x, __u32 nr)
{
	__u64 key = scope_hist_key(x->tgid, nr);
	struct scope_proc_hist *h = bpf_map_lookup_elem(&hists, &key);
	if (!h)
		return;
	struct scope_syscall_hist *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->hdr = x->r->hdr;
		e->hdr.type = SCOPE_EV_SYSCALL_HIST;
		e->hdr.size = sizeof(*e);
		e->nr = nr;
		e->flags = SCOPE_COUNTS_FINAL;
		e->_pad0 = 0;
		__builtin_memcpy(e->buckets, h->buckets, sizeof(e->buckets));
		bpf_ringbuf_submit(e, 0);
	} else {
		count_drop(SCOPE_DROP_RINGBUF);
	}
	bpf_map_delete_elem(&hists, &key);
}

static long flush_one(__u32 i, struct flush_ctx *x)
{
	struct scope_proc_counts *c = x->c;
	struct scope_syscall_counts *r = x->r;
	__u32 nr = i & (SCOPE_SYSCALL_MAX - 1);
	__u64 n = c->count[nr];
	if (!n)
		return 0;
	__u32 k = r->n;
	if (k >= SCOPE_COUNTS_PER_RECORD)
		return 1;
	r->e[k].nr = nr;
	r->e[k].count = n;
	r->e[k].errors = c->errors[nr];
	r->e[k].total_ns = c->total_ns[nr];
	r->n = k + 1;
	flush_hist(x, nr);
	if (r->n == SCOPE_COUNTS_PER_RECORD)
		flush_record(r);
	return 0;
}

/* A process's totals leave the kernel when its last thread exits, so short-lived ones are seen. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sys_on_exit, struct task_struct *p)
{
	__u32 tid = p->pid;
	if (!counts_only) {
		bpf_map_delete_elem(&inflight, &tid);
		bpf_map_delete_elem(&captured, &tid);
	}
	if (!group_dead(p))
		return 0;
	__u32 tgid = p->tgid;
	struct scope_proc_counts *c = bpf_map_lookup_elem(&counts, &tgid);
	if (!c)
		return 0;
	__u32 zero = 0;
	struct scope_syscall_counts *r = bpf_map_lookup_elem(&counts_scratch, &zero);
	if (!r)
		return 0;
	fill_header(&r->hdr, SCOPE_EV_SYSCALL_COUNTS, sizeof(*r), p, bpf_ktime_get_boot_ns());
	r->flags = SCOPE_COUNTS_FINAL | (counts_only ? SCOPE_COUNTS_ENTER_ONLY : 0);
	r->_pad0 = 0;
	clear_entries(r);
	struct flush_ctx x = { .c = c, .r = r, .tgid = tgid };
	bpf_loop(SCOPE_SYSCALL_MAX, flush_one, &x, 0);
	if (r->n)
		flush_record(r);
	bpf_map_delete_elem(&counts, &tgid);
	return 0;
}
