// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor: syscall probes that do nothing. What a non-target pays under them is what any tracer
 * of this kind must cost, so SCOPE's overhead is judged against it rather than against zero.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Floor A: the attach type SCOPE uses. */
SEC("tp_btf/sys_enter")
int BPF_PROG(floor_btf_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_btf_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

/* Floor B: the attach type bpftrace's tracepoint: probes use, for comparing with it. */
SEC("tracepoint/raw_syscalls/sys_enter")
int floor_tp_enter(void *ctx)
{
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int floor_tp_exit(void *ctx)
{
	return 0;
}
