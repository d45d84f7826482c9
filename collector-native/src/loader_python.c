#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "elf_syms.h"
#include "probes.h"
#include "python.skel.h"

/* One CPU-clock perf event per CPU, at the sampling rate: a sample interrupts whatever runs there,
 * and the program keeps only targets. Per-CPU events see every thread of a target, the ones it
 * starts later included, without one event per thread. */
struct usdt_pid {
	pid_t pid;
	char *binary;
	struct bpf_link *entry, *ret;
};

struct scope_python_state {
	struct bpf_link **links;
	int *fds;
	int ncpu;
	struct usdt_pid *usdt; /* processes whose interpreter's USDT probes are attached */
	size_t nusdt;
};

int python_probes_load(struct scope_probes *p, const struct scope_args *a)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = a->btf_path);
	struct python_bpf *s = python_bpf__open_opts(&opts);
	if (!s)
		return -errno;
	p->python = s;
	s->rodata->system_wide = false;
	s->rodata->self_tgid = getpid();
	s->rodata->wakeup_bytes = ((__u64)a->ringbuf_mb << 20) / 8;
	int err = scope_probes_share_maps(p, s->maps.events, s->maps.targets, s->maps.drops, s->maps.control);
	if (!err)
		err = python_bpf__load(s);
	if (err)
		return err;
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	struct scope_python_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	p->python_state = st;
	st->links = calloc(ncpu, sizeof(*st->links));
	st->fds = malloc(ncpu * sizeof(*st->fds));
	if (!st->links || !st->fds)
		return -ENOMEM;
	st->ncpu = ncpu;
	for (int cpu = 0; cpu < ncpu; cpu++)
		st->fds[cpu] = -1;
	int opened = 0;
	for (int cpu = 0; cpu < ncpu; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.sample_freq = a->python_hz,
			.freq = 1,
		};
		int fd = (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)
				continue; /* a possible CPU that is not online */
			return -errno;
		}
		st->fds[cpu] = fd;
		st->links[cpu] = bpf_program__attach_perf_event(s->progs.py_sample, fd);
		if (!st->links[cpu])
			return -errno;
		opened++;
	}
	p->py_procs_fd = bpf_map__fd(s->maps.py_procs);
	p->py_known_fd = bpf_map__fd(s->maps.py_known);
	return opened ? 0 : -ENODEV;
}

int scope_python_attach_usdt(struct scope_probes *p, pid_t pid, const char *binary)
{
	struct scope_python_state *st = p->python_state;
	if (!st || !binary || !scope_elf_has_section(binary, ".note.stapsdt"))
		return 0;
	for (size_t i = 0; i < st->nusdt; i++)
		if (st->usdt[i].pid == pid && strcmp(st->usdt[i].binary, binary) == 0)
			return 0;
	struct usdt_pid u = { pid, strdup(binary), NULL, NULL };
	if (!u.binary)
		return -ENOMEM;
	/* libbpf sets the probes' semaphore, which the interpreter tests before firing them */
	u.entry = bpf_program__attach_usdt(p->python->progs.py_entry, pid, binary, "python", "function__entry", NULL);
	u.ret = u.entry ? bpf_program__attach_usdt(p->python->progs.py_return, pid, binary, "python", "function__return", NULL)
			: NULL;
	struct usdt_pid *nu = u.ret ? realloc(st->usdt, (st->nusdt + 1) * sizeof(*nu)) : NULL;
	if (!nu) {
		int err = -errno;
		bpf_link__destroy(u.entry);
		bpf_link__destroy(u.ret);
		free(u.binary);
		return err ? err : -ENOMEM;
	}
	st->usdt = nu;
	st->usdt[st->nusdt++] = u;
	return 1;
}

void scope_python_detach_usdt(struct scope_probes *p, pid_t pid)
{
	struct scope_python_state *st = p->python_state;
	for (size_t i = 0; st && i < st->nusdt;) {
		if (st->usdt[i].pid != pid) {
			i++;
			continue;
		}
		bpf_link__destroy(st->usdt[i].entry);
		bpf_link__destroy(st->usdt[i].ret);
		free(st->usdt[i].binary);
		st->usdt[i] = st->usdt[--st->nusdt];
	}
}

void scope_python_destroy(struct scope_probes *p)
{
	struct scope_python_state *st = p->python_state;
	if (st) {
		while (st->nusdt)
			scope_python_detach_usdt(p, st->usdt[0].pid);
		free(st->usdt);
		for (int cpu = 0; cpu < st->ncpu; cpu++) {
			bpf_link__destroy(st->links ? st->links[cpu] : NULL);
			if (st->fds && st->fds[cpu] >= 0)
				close(st->fds[cpu]);
		}
		free(st->links);
		free(st->fds);
		free(st);
		p->python_state = NULL;
	}
	python_bpf__destroy(p->python);
	p->python = NULL;
}
