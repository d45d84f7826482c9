// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process lifecycle: exec, fork, exit. This object also keeps the target set current for every
 * family (comm matches at exec, children at fork, cleanup at exit), so it is always loaded;
 * emit_events says whether its own records are wanted.
 */
#include "scope_common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile bool emit_events = true;
const volatile bool follow_children = false;
const volatile bool comm_filter = false;
/* With uprobe families (cuda): a target that execs waits, stopped, for its uprobes. */
const volatile bool stop_at_exec = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, char[SCOPE_COMM_LEN]);
	__type(value, __u8);
	__uint(max_entries, 256);
} comms SEC(".maps");

static __always_inline void fill_info(struct scope_process_info *info, struct task_struct *p)
{
	info->ppid = BPF_CORE_READ(p, real_parent, tgid);
	info->uid = BPF_CORE_READ(p, cred, uid.val);
	info->cgroup_id = bpf_get_current_cgroup_id();
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid;

	if (!is_target(tgid)) {
		if (!comm_filter)
			return 0;
		/* comm already holds the new program's name here */
		char comm[SCOPE_COMM_LEN] = {};
		bpf_get_current_comm(comm, sizeof(comm));
		if (!bpf_map_lookup_elem(&comms, comm))
			return 0;
		set_target(tgid);
	}
	if (stop_at_exec)
		stop_for_collector(SCOPE_CONTROL_EXEC);
	if (!emit_events)
		return 0;

	struct scope_process_exec *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(SCOPE_DROP_RINGBUF);
		return 0;
	}
	fill_header(&e->hdr, SCOPE_EV_PROCESS_EXEC, sizeof(*e), p, bpf_ktime_get_boot_ns());
	fill_info(&e->info, p);
	e->argc = BPF_CORE_READ(bprm, argc);
	e->old_pid = old_pid != p->pid ? old_pid : 0;
	e->flags = 0;
	e->_pad0 = 0;

	long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	if (n < 0)
		n = 0;
	else if (n > 0)
		n--; /* drop the NUL */
	e->filename_len = n;
	if (n == SCOPE_FILENAME_LEN - 1)
		e->flags |= SCOPE_EXEC_FILENAME_TRUNCATED;

	/* The new image's argument area: NUL-separated strings between arg_start and arg_end. */
	__u64 start = BPF_CORE_READ(p, mm, arg_start);
	__u64 end = BPF_CORE_READ(p, mm, arg_end);
	__u64 len = end > start ? end - start : 0;
	if (len > SCOPE_ARGV_LEN) {
		len = SCOPE_ARGV_LEN;
		e->flags |= SCOPE_EXEC_ARGV_TRUNCATED;
	}
	barrier_var(len); /* keep the clamped value in the register the verifier checks */
	if (len > SCOPE_ARGV_LEN)
		len = 0;
	if (len && bpf_probe_read_user(e->argv, len, (void *)start) < 0)
		len = 0;
	e->argv_len = len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	if (child->pid != child->tgid)
		return 0; /* a new thread, not a new process */
	__u32 ptgid = parent->tgid;
	if (!is_target(ptgid))
		return 0;
	if (follow_children)
		set_target(child->tgid);
	if (!emit_events)
		return 0;

	struct scope_process_fork *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(SCOPE_DROP_RINGBUF);
		return 0;
	}
	fill_header(&e->hdr, SCOPE_EV_PROCESS_FORK, sizeof(*e), parent, bpf_ktime_get_boot_ns());
	fill_info(&e->info, parent);
	e->child_pid = child->tgid;
	e->_pad0 = 0;
	e->child_start_ns = child->start_boottime;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	if (!group_dead(p))
		return 0;
	__u32 tgid = p->tgid;
	if (!is_target(tgid))
		return 0;
	if (!system_wide)
		clear_target(tgid); /* the pid may be reused by an unrelated process */
	if (!emit_events)
		return 0;

	struct scope_process_exit *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(SCOPE_DROP_RINGBUF);
		return 0;
	}
	fill_header(&e->hdr, SCOPE_EV_PROCESS_EXIT, sizeof(*e), p, bpf_ktime_get_boot_ns());
	fill_info(&e->info, p);
	int code = BPF_CORE_READ(p, exit_code);
	e->exit_code = (code >> 8) & 0xff;
	e->signal = code & 0x7f;
	e->flags = (code & 0x80) ? SCOPE_EXIT_CORE_DUMPED : 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
