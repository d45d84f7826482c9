#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "exit_codes.h"
#include "preflight.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

int scope_check_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) == 0 &&
	    (has_cap(d, CAP_SYS_ADMIN) || (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON))))
		return SCOPE_EXIT_OK;
	fprintf(stderr, "scope-collector: missing privileges: loading eBPF probes needs root, or "
			"CAP_BPF and CAP_PERFMON (running as uid %u)\n", getuid());
	return SCOPE_EXIT_PRIVILEGE;
}

int scope_check_btf(const char *path)
{
	const char *p = path ? path : "/sys/kernel/btf/vmlinux";
	if (access(p, R_OK)) {
		fprintf(stderr, "scope-collector: missing BTF: cannot read %s (%s); the kernel needs "
				"CONFIG_DEBUG_INFO_BTF=y, or give --btf PATH\n", p, strerror(errno));
		return SCOPE_EXIT_NO_BTF;
	}
	struct btf *btf = btf__parse(p, NULL);
	long err = btf ? 0 : -errno;
	if (err) {
		fprintf(stderr, "scope-collector: missing BTF: %s is not valid BTF (%s)\n", p, strerror((int)-err));
		return SCOPE_EXIT_NO_BTF;
	}
	btf__free(btf);
	return SCOPE_EXIT_OK;
}

int scope_check_pids(const struct scope_args *a)
{
	for (int i = 0; i < a->npids; i++)
		if (kill(a->pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "scope-collector: no process with pid %d\n", a->pids[i]);
			return SCOPE_EXIT_NO_TARGET;
		}
	return SCOPE_EXIT_OK;
}
