/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps and helpers every probe family shares. Each object declares these maps; the loader creates
 * them once and hands the same fds to every object (bpf_map__reuse_fd), so all families filter on
 * one target set and write to one ring buffer.
 */
#ifndef SCOPE_COMMON_BPF_H
#define SCOPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "scope_maps.h"

/* Set by the loader before load. */
const volatile bool system_wide = false;
const volatile __u32 self_tgid = 0;
/* With this many bytes waiting in `events`, a record wakes the collector; below it, the collector
 * finds the records at its next poll (at most 100 ms later). 0: every record may wake it. */
const volatile __u64 wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* the loader resizes it from --ringbuf-mb */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} control SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, SCOPE_TARGET_WORDS);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, SCOPE_DROP_REASONS);
} drops SEC(".maps");

static __always_inline void count_drop(__u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&drops, &reason);
	if (v)
		*v += 1; /* per-CPU slot: no atomic needed */
}

static __always_inline __u64 *target_word(__u32 tgid)
{
	__u32 idx = tgid >> 6;
	return bpf_map_lookup_elem(&targets, &idx);
}

/* The one check every probe makes first; a non-target leaves after this. */
static __always_inline bool is_target(__u32 tgid)
{
	if (system_wide)
		return tgid != self_tgid && tgid != 0;
	__u64 *w = target_word(tgid);
	return w && (*w & (1ull << (tgid & 63)));
}

static __always_inline void set_target(__u32 tgid)
{
	__u64 *w = target_word(tgid);
	if (w)
		__sync_fetch_and_or(w, 1ull << (tgid & 63));
}

static __always_inline void clear_target(__u32 tgid)
{
	__u64 *w = target_word(tgid);
	if (w)
		__sync_fetch_and_and(w, ~(1ull << (tgid & 63)));
}

/* True in sched_process_exit for the last thread of a process. */
static __always_inline bool group_dead(struct task_struct *p)
{
	return BPF_CORE_READ(p, signal, live.counter) == 0;
}

#define SCOPE_SIGSTOP 19

/*
 * Stops the current process until the collector has attached to it, telling the collector why. A
 * process is only ever stopped when the request was delivered: otherwise nobody would continue it.
 */
/*
 * Submits an `events` record. Waking the collector for each record (what the ring buffer does
 * whenever its reader has caught up) costs the traced thread an interrupt-work queueing and the
 * collector a wake-up per record: at a CUDA call rate, more than the probe itself. So records wait
 * in the ring until enough have gathered (or the collector's next poll), and hot paths use this.
 */
static __always_inline void submit_event(void *rec)
{
	__u64 flags = BPF_RB_FORCE_WAKEUP;
	if (wakeup_bytes && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes)
		flags = BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

static __always_inline void stop_for_collector(__u32 reason)
{
	struct scope_control *c = bpf_ringbuf_reserve(&control, sizeof(*c), 0);
	if (!c) {
		count_drop(SCOPE_DROP_RINGBUF);
		return;
	}
	c->pid = bpf_get_current_pid_tgid() >> 32;
	c->reason = reason;
	c->ts_ns = bpf_ktime_get_boot_ns();
	/* The stop is sent before the collector can see the request: were it the other way round, the
	 * collector's SIGCONT could come first (this program can be preempted between the two) and
	 * the process would stay stopped for good. A SIGCONT flushes a stop still pending. */
	bpf_send_signal(SCOPE_SIGSTOP);
	bpf_ringbuf_submit(c, 0);
}

static __always_inline void fill_header(struct scope_event_header *h, __u16 type, __u16 size,
					 struct task_struct *p, __u64 ts)
{
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = ts;
	/* p is a BTF pointer (a tp_btf argument, or bpf_get_current_task_btf()): plain loads, which
	 * the verifier turns into faulting-safe ones, cost less than a probe-read helper call each. */
	h->start_ns = p->group_leader->start_boottime;
	h->pid = p->tgid;
	h->tid = p->pid;
	__builtin_memcpy(h->comm, p->comm, sizeof(h->comm));
}

#endif /* SCOPE_COMMON_BPF_H */
