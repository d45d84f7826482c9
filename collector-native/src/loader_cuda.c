#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cuda.skel.h"
#include "cuda_apis.h"
#include "cuda_libs.h"
#include "elf_syms.h"
#include "kernel_features.h"
#include "link_closer.h"
#include "probes.h"
#include "scope_maps.h"
#include "uprobe_multi.h"

struct attached_lib {
	dev_t dev;
	ino_t ino;
};

struct cuda_pid {
	pid_t pid;
	struct attached_lib *libs;
	size_t nlibs;
	struct bpf_link **links;
	size_t nlinks, caplinks;
	int *fds; /* uprobe_multi links */
	size_t nfds;
	bool interp_done;
	bool from_start;
};

struct scope_cuda_state {
	struct cuda_pid *pids;
	size_t npids;
	char **warned; /* libraries already warned about */
	size_t nwarned;
	int multi_type; /* BPF_TRACE_UPROBE_MULTI, or -1: one link per function */
	bool stop_at_fork; /* stop_child_at_fork is loaded */
	struct bpf_link *fork_link;
	struct scope_link_closer *closer;
};

int cuda_probes_load(struct scope_probes *p, const struct scope_args *a)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = a->btf_path);
	struct cuda_bpf *s = cuda_bpf__open_opts(&opts);
	if (!s)
		return -errno;
	p->cuda = s;
	s->rodata->system_wide = false;
	s->rodata->self_tgid = getpid();
	s->rodata->wakeup_bytes = ((__u64)a->ringbuf_mb << 20) / 8;
	int err = scope_probes_share_maps(p, s->maps.events, s->maps.targets, s->maps.drops, s->maps.control);
	s->rodata->follow_children = a->follow_children;
	s->rodata->capture_stacks = !a->no_cuda_stacks;
	/* With the python family loaded, allocations and launches carry their Python stack too. */
	s->rodata->python_stacks = p->python != NULL;
	if (!err && p->python)
		err = bpf_map__reuse_fd(s->maps.py_procs, p->py_procs_fd);
	if (!err && p->python)
		err = bpf_map__reuse_fd(s->maps.py_known, p->py_known_fd);
	/* Without the kfunc, a forked child is attached when its fork event is read instead. */
	struct scope_kernel_features kf;
	scope_kernel_features_read(a->btf_path, &kf);
	bool stop_at_fork = kf.send_signal_task;
	bpf_program__set_autoload(s->progs.stop_child_at_fork, stop_at_fork);
	int multi = kf.uprobe_multi_type;
	if (!err && multi >= 0) {
		bpf_program__set_expected_attach_type(s->progs.cuda_enter, (enum bpf_attach_type)multi);
		bpf_program__set_expected_attach_type(s->progs.cuda_exit, (enum bpf_attach_type)multi);
	}
	if (!err)
		err = cuda_bpf__load(s);
	if (err)
		return err;
	p->cuda_state = calloc(1, sizeof(*p->cuda_state));
	if (!p->cuda_state)
		return -ENOMEM;
	p->cuda_state->multi_type = multi;
	p->cuda_state->stop_at_fork = stop_at_fork;
	if (stop_at_fork) {
		p->cuda_state->fork_link = bpf_program__attach(s->progs.stop_child_at_fork);
		if (!p->cuda_state->fork_link)
			return -errno;
	}
	p->cuda_state->closer = scope_link_closer_start();
	return 0;
}

static struct cuda_pid *pid_state(struct scope_cuda_state *st, pid_t pid, bool create)
{
	for (size_t i = 0; i < st->npids; i++)
		if (st->pids[i].pid == pid)
			return &st->pids[i];
	if (!create)
		return NULL;
	struct cuda_pid *np = realloc(st->pids, (st->npids + 1) * sizeof(*np));
	if (!np)
		return NULL;
	st->pids = np;
	struct cuda_pid *c = &st->pids[st->npids++];
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	return c;
}

static bool keep_link(struct cuda_pid *c, struct bpf_link *l)
{
	if (c->nlinks == c->caplinks) {
		size_t cap = c->caplinks ? c->caplinks * 2 : 64;
		struct bpf_link **nl = realloc(c->links, cap * sizeof(*nl));
		if (!nl) {
			bpf_link__destroy(l);
			return false;
		}
		c->links = nl;
		c->caplinks = cap;
	}
	c->links[c->nlinks++] = l;
	return true;
}

static bool warned_before(struct scope_cuda_state *st, const char *path)
{
	for (size_t i = 0; i < st->nwarned; i++)
		if (strcmp(st->warned[i], path) == 0)
			return true;
	char **nw = realloc(st->warned, (st->nwarned + 1) * sizeof(*nw));
	if (nw) {
		st->warned = nw;
		st->warned[st->nwarned++] = strdup(path);
	}
	return false;
}

static int keep_fd(struct cuda_pid *c, int fd)
{
	int *nf = realloc(c->fds, (c->nfds + 1) * sizeof(*nf));
	if (!nf) {
		close(fd);
		return -ENOMEM;
	}
	c->fds = nf;
	c->fds[c->nfds++] = fd;
	return 0;
}

static int attach_multi(struct scope_probes *p, struct cuda_pid *c, const char *path, const uint64_t *offsets,
			const uint64_t *cookies, unsigned n)
{
	int type = p->cuda_state->multi_type;
	int in = scope_uprobe_multi_attach(bpf_program__fd(p->cuda->progs.cuda_enter), type, path, c->pid, offsets,
					   cookies, n, false);
	if (in < 0)
		return in;
	int err = keep_fd(c, in);
	if (err)
		return err;
	int out = scope_uprobe_multi_attach(bpf_program__fd(p->cuda->progs.cuda_exit), type, path, c->pid, offsets,
					    cookies, n, true);
	return out < 0 ? out : keep_fd(c, out);
}

/* Attaches entry and return probes for every probed function the library has. */
static int attach_library(struct scope_probes *p, struct cuda_pid *c, const char *path)
{
	struct scope_elf elf;
	int err = scope_elf_open(&elf, path);
	if (err) {
		if (!warned_before(p->cuda_state, path))
			fprintf(stderr, "scope-collector: cannot read %s as ELF (%s); not traced\n", path, strerror(-err));
		return err;
	}
	char missing[1024] = "";
	uint64_t offsets[SCOPE_CUDA_SYMBOLS_MAX], cookies[SCOPE_CUDA_SYMBOLS_MAX];
	unsigned attached = 0;
	const char *slash = strrchr(path, '/');
	bool driver = scope_cuda_lib_kind(slash ? slash + 1 : path) == SCOPE_CUDA_LIB_DRIVER;
	for (unsigned i = 0; i < scope_cuda_symbols_len; i++) {
		const struct scope_cuda_symbol *sym = &scope_cuda_symbols[i];
		if (sym->driver != driver)
			continue;
		const struct scope_elf_sym *s = scope_elf_find(&elf, sym->symbol);
		if (!s) {
			if (!sym->optional && strlen(missing) + strlen(sym->symbol) + 3 < sizeof(missing))
				strcat(strcat(missing, *missing ? ", " : ""), sym->symbol);
			continue;
		}
		offsets[attached] = s->offset;
		cookies[attached++] = SCOPE_CUDA_COOKIE(sym->api, sym->flags);
	}
	if (attached && p->cuda_state->multi_type >= 0)
		err = attach_multi(p, c, path, offsets, cookies, attached);
	for (unsigned i = 0; i < attached && p->cuda_state->multi_type < 0 && !err; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, in, .bpf_cookie = cookies[i]);
		LIBBPF_OPTS(bpf_uprobe_opts, out, .bpf_cookie = cookies[i], .retprobe = true);
		struct bpf_link *l1 = bpf_program__attach_uprobe_opts(p->cuda->progs.cuda_enter, c->pid, path, offsets[i], &in);
		if (!l1 || !keep_link(c, l1)) {
			err = l1 ? -ENOMEM : -errno;
			break;
		}
		struct bpf_link *l2 = bpf_program__attach_uprobe_opts(p->cuda->progs.cuda_exit, c->pid, path, offsets[i], &out);
		if (!l2 || !keep_link(c, l2))
			err = l2 ? -ENOMEM : -errno;
	}
	if (!err && attached == 0 && !warned_before(p->cuda_state, path))
		fprintf(stderr, "scope-collector: %s has none of the CUDA %s functions SCOPE probes; not traced\n", path,
			driver ? "driver" : "runtime");
	else if (!err && *missing && !warned_before(p->cuda_state, path))
		fprintf(stderr, "scope-collector: %s lacks %s; those calls are not traced\n", path, missing);
	scope_elf_free(&elf);
	return err;
}

static void attach_interp(struct scope_probes *p, struct cuda_pid *c, const char *interp)
{
	struct scope_elf elf;
	if (c->interp_done || !interp || scope_elf_open(&elf, interp))
		return;
	const struct scope_elf_sym *s = scope_elf_find(&elf, "_dl_debug_state");
	if (s) {
		struct bpf_link *l = bpf_program__attach_uprobe(p->cuda->progs.dl_debug_state, false, c->pid, interp, s->offset);
		if (l && keep_link(c, l))
			c->interp_done = true;
	}
	scope_elf_free(&elf);
}

/* Not gone and not a zombie: a killed target that its parent has not reaped yet has no memory
 * left to probe. */
static bool alive(pid_t pid)
{
	char path[64], stat[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = 0;
	const char *paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

int scope_cuda_attach(struct scope_probes *p, pid_t pid, const char *exe, const char *lib_path)
{
	if (!p->cuda || !p->cuda_state)
		return 0;
	if (!alive(pid))
		return -ESRCH;
	struct cuda_pid *c = pid_state(p->cuda_state, pid, true);
	if (!c)
		return -ENOMEM;
	char exe_buf[4096];
	bool may_load = exe != NULL;
	if (!exe) {
		char link[64];
		snprintf(link, sizeof(link), "/proc/%d/exe", pid);
		ssize_t n = readlink(link, exe_buf, sizeof(exe_buf) - 1);
		if (n > 0) {
			exe_buf[n] = 0;
			exe = exe_buf;
		}
	}
	struct scope_lib_set libs = { 0 };
	char *interp = NULL;
	scope_cuda_candidates(pid, exe, may_load, lib_path, &libs, &interp);
	attach_interp(p, c, interp);

	int added = 0, err = 0;
	for (size_t i = 0; i < libs.n; i++) {
		bool seen = false;
		for (size_t k = 0; k < c->nlibs && !seen; k++)
			seen = c->libs[k].dev == libs.devs[i] && c->libs[k].ino == libs.inos[i];
		if (seen)
			continue;
		err = attach_library(p, c, libs.paths[i]);
		if (err == -ESRCH || (err && !alive(pid))) {
			err = -ESRCH;
			break;
		}
		struct attached_lib *nl = realloc(c->libs, (c->nlibs + 1) * sizeof(*nl));
		if (nl) {
			c->libs = nl;
			c->libs[c->nlibs++] = (struct attached_lib){ libs.devs[i], libs.inos[i] };
		}
		if (!err)
			added++;
		err = 0;
	}
	free(interp);
	scope_lib_set_free(&libs);
	if (err == -ESRCH) /* its exit may already have been handled: nothing else would detach it */
		scope_cuda_detach(p, pid);
	return err ? err : added;
}

void scope_cuda_set_from_start(struct scope_probes *p, pid_t pid)
{
	struct cuda_pid *c = p->cuda_state ? pid_state(p->cuda_state, pid, false) : NULL;
	if (c)
		c->from_start = true;
}

bool scope_cuda_from_start(const struct scope_probes *p, pid_t pid)
{
	struct cuda_pid *c = p->cuda_state ? pid_state(p->cuda_state, pid, false) : NULL;
	return c && c->from_start;
}

bool scope_cuda_stops_at_fork(const struct scope_probes *p)
{
	return p->cuda_state && p->cuda_state->stop_at_fork;
}

void scope_cuda_detach(struct scope_probes *p, pid_t pid)
{
	if (!p->cuda_state)
		return;
	struct scope_cuda_state *st = p->cuda_state;
	for (size_t i = 0; i < st->npids; i++) {
		if (st->pids[i].pid != pid)
			continue;
		struct cuda_pid *c = &st->pids[i];
		for (size_t k = 0; k < c->nlinks; k++)
			scope_link_closer_push_link(st->closer, c->links[k]);
		for (size_t k = 0; k < c->nfds; k++)
			scope_link_closer_push_fd(st->closer, c->fds[k]);
		free(c->links);
		free(c->fds);
		free(c->libs);
		st->pids[i] = st->pids[--st->npids];
		return;
	}
}

uint64_t scope_cuda_nested_total(const struct scope_probes *p)
{
	if (!p->cuda)
		return 0;
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return 0;
	uint64_t *v = calloc(ncpu, sizeof(*v)), total = 0;
	int fd = bpf_map__fd(p->cuda->maps.cuda_nested);
	for (__u32 api = 0; v && api < SCOPE_CUDA_API_MAX; api++)
		if (bpf_map_lookup_elem(fd, &api, v) == 0)
			for (int c = 0; c < ncpu; c++)
				total += v[c];
	free(v);
	return total;
}

void scope_cuda_destroy(struct scope_probes *p)
{
	struct scope_cuda_state *st = p->cuda_state;
	if (st) {
		while (st->npids)
			scope_cuda_detach(p, st->pids[0].pid);
		scope_link_closer_stop(st->closer);
		bpf_link__destroy(st->fork_link);
		for (size_t i = 0; i < st->nwarned; i++)
			free(st->warned[i]);
		free(st->warned);
		free(st->pids);
		free(st);
		p->cuda_state = NULL;
	}
	cuda_bpf__destroy(p->cuda);
	p->cuda = NULL;
}
