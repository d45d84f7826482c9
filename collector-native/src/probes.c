#include "probes.h"
#include "process.skel.h"
#include "syscalls.skel.h"

void scope_cuda_destroy(struct scope_probes *p);

int scope_probes_share_maps(const struct scope_probes *p, struct bpf_map *events, struct bpf_map *targets,
			    struct bpf_map *drops, struct bpf_map *control)
{
	int err = bpf_map__reuse_fd(events, p->events_fd);
	if (!err)
		err = bpf_map__reuse_fd(targets, p->targets_fd);
	if (!err)
		err = bpf_map__reuse_fd(drops, p->drops_fd);
	if (!err)
		err = bpf_map__reuse_fd(control, p->control_fd);
	return err;
}

void scope_probes_destroy(struct scope_probes *p)
{
	scope_python_destroy(p);
	scope_cuda_destroy(p);
	syscalls_bpf__destroy(p->syscalls);
	process_bpf__destroy(p->process);
	p->syscalls = NULL;
	p->process = NULL;
}
