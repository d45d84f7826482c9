#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "probes.h"
#include "process.skel.h"

int process_probes_load(struct scope_probes *p, const struct scope_args *a)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = a->btf_path);
	struct process_bpf *s = process_bpf__open_opts(&opts);
	if (!s)
		return -errno;
	p->process = s;
	s->rodata->system_wide = a->system_wide;
	s->rodata->self_tgid = getpid();
	s->rodata->emit_events = (a->probes & SCOPE_PROBE_PROCESS) != 0;
	s->rodata->follow_children = a->follow_children;
	s->rodata->comm_filter = a->ncomms > 0;
	s->rodata->stop_at_exec = (a->probes & SCOPE_PROBE_CUDA) != 0;
	int err = bpf_map__set_max_entries(s->maps.events, a->ringbuf_mb << 20);
	if (!err)
		err = process_bpf__load(s);
	if (!err)
		err = process_bpf__attach(s);
	if (err)
		return err;
	p->events_fd = bpf_map__fd(s->maps.events);
	p->targets_fd = bpf_map__fd(s->maps.targets);
	p->drops_fd = bpf_map__fd(s->maps.drops);
	p->control_fd = bpf_map__fd(s->maps.control);
	return 0;
}

int process_probes_add_comm(struct scope_probes *p, const char *comm)
{
	char key[16] = { 0 };
	uint8_t one = 1;
	strncpy(key, comm, sizeof(key) - 1);
	return bpf_map__update_elem(p->process->maps.comms, key, sizeof(key), &one, sizeof(one), BPF_ANY);
}
