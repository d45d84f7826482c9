#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probes.h"
#include "syscalls.skel.h"

int syscalls_probes_load(struct scope_probes *p, const struct scope_args *a)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = a->btf_path);
	struct syscalls_bpf *s = syscalls_bpf__open_opts(&opts);
	if (!s)
		return -errno;
	p->syscalls = s;
	s->rodata->system_wide = a->system_wide;
	s->rodata->self_tgid = getpid();
	s->rodata->counts_only = a->counts_only;
	memcpy((void *)s->rodata->detail_mask, a->detail_mask, sizeof(a->detail_mask));

	int err = scope_probes_share_maps(p, s->maps.events, s->maps.targets, s->maps.drops, s->maps.control);
	if (!err && a->counts_only) {
		/* Entry-only counting: no exit program and no entry state to keep. */
		bpf_program__set_autoload(s->progs.sys_exit, false);
		bpf_map__set_max_entries(s->maps.inflight, 1);
		bpf_map__set_max_entries(s->maps.captured, 1);
		bpf_map__set_max_entries(s->maps.hists, 1);
	}
	if (!err)
		err = syscalls_bpf__load(s);
	if (!err)
		err = syscalls_bpf__attach(s);
	if (err)
		return err;
	p->counts_fd = bpf_map__fd(s->maps.counts);
	p->hists_fd = a->counts_only ? -1 : bpf_map__fd(s->maps.hists);
	return 0;
}
