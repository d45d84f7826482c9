#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "uprobe_multi.h"

/* BPF_LINK_CREATE's attributes for uprobe_multi, laid out as in the kernel's union bpf_attr
 * (Linux 6.6 UAPI); the rest of the union stays zero. */
union link_create_attr {
	struct {
		uint32_t prog_fd;
		uint32_t target_fd;
		uint32_t attach_type;
		uint32_t flags;
		uint64_t path;
		uint64_t offsets;
		uint64_t ref_ctr_offsets;
		uint64_t cookies;
		uint32_t cnt;
		uint32_t multi_flags;
		uint32_t pid;
	} um;
	char size[128];
};

#define SCOPE_UPROBE_MULTI_RETURN 1u /* BPF_F_UPROBE_MULTI_RETURN */

int scope_uprobe_multi_attach(int prog_fd, int type, const char *path, pid_t pid, const uint64_t *offsets,
			      const uint64_t *cookies, unsigned n, bool ret)
{
	union link_create_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.um.prog_fd = (uint32_t)prog_fd;
	attr.um.attach_type = (uint32_t)type;
	attr.um.path = (uint64_t)(uintptr_t)path;
	attr.um.offsets = (uint64_t)(uintptr_t)offsets;
	attr.um.cookies = (uint64_t)(uintptr_t)cookies;
	attr.um.cnt = n;
	attr.um.multi_flags = ret ? SCOPE_UPROBE_MULTI_RETURN : 0;
	attr.um.pid = (uint32_t)pid;
	long fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}
