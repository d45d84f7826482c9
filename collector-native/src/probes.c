#include "probes.h"
#include "process.skel.h"
#include "syscalls.skel.h"

void scope_cuda_destroy(struct scope_probes *p);

void scope_probes_destroy(struct scope_probes *p)
{
	scope_cuda_destroy(p);
	syscalls_bpf__destroy(p->syscalls);
	process_bpf__destroy(p->process);
	p->syscalls = NULL;
	p->process = NULL;
}
