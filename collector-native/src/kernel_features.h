/* What this kernel offers beyond what libbpf 1.1 and the distribution's headers know, read from
 * the kernel's own BTF. btf_path: the vmlinux BTF to read, NULL for the running kernel's. */
#ifndef SCOPE_KERNEL_FEATURES_H
#define SCOPE_KERNEL_FEATURES_H
#include <stdbool.h>

/* BPF_TRACE_UPROBE_MULTI's value (Linux 6.6+), or -1. */
int scope_kernel_uprobe_multi_type(const char *btf_path);
/* Whether the kernel has a function by that name, such as a kfunc (bpf_send_signal_task, 6.13+). */
bool scope_kernel_has_func(const char *btf_path, const char *name);
#endif
