/* What this kernel offers beyond what libbpf 1.1 and the distribution's headers know, read once
 * from the kernel's own BTF. */
#ifndef SCOPE_KERNEL_FEATURES_H
#define SCOPE_KERNEL_FEATURES_H
#include <stdbool.h>

struct scope_kernel_features {
	int uprobe_multi_type;    /* BPF_TRACE_UPROBE_MULTI's value (Linux 6.6+), or -1 */
	bool send_signal_task;    /* the bpf_send_signal_task kfunc (6.13+) */
};

/* btf_path: the vmlinux BTF to read, NULL for the running kernel's. Unreadable BTF: nothing. */
void scope_kernel_features_read(const char *btf_path, struct scope_kernel_features *f);
#endif
