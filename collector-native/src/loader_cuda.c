#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cuda.skel.h"
#include "cuda_apis.h"
#include "cuda_libs.h"
#include "elf_syms.h"
#include "probes.h"
#include "scope_maps.h"

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
	bool interp_done;
};

struct scope_cuda_state {
	struct cuda_pid *pids;
	size_t npids;
	char **warned; /* libraries already warned about */
	size_t nwarned;
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
	int err = bpf_map__reuse_fd(s->maps.events, p->events_fd);
	if (!err)
		err = bpf_map__reuse_fd(s->maps.targets, p->targets_fd);
	if (!err)
		err = bpf_map__reuse_fd(s->maps.drops, p->drops_fd);
	if (!err)
		err = bpf_map__reuse_fd(s->maps.control, p->control_fd);
	if (!err)
		err = cuda_bpf__load(s);
	if (err)
		return err;
	p->cuda_state = calloc(1, sizeof(*p->cuda_state));
	return p->cuda_state ? 0 : -ENOMEM;
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
	int attached = 0;
	for (unsigned i = 0; i < scope_cuda_symbols_len; i++) {
		const struct scope_cuda_symbol *sym = &scope_cuda_symbols[i];
		const struct scope_elf_sym *s = scope_elf_find(&elf, sym->symbol);
		if (!s) {
			if (!sym->optional && strlen(missing) + strlen(sym->symbol) + 3 < sizeof(missing))
				strcat(strcat(missing, *missing ? ", " : ""), sym->symbol);
			continue;
		}
		LIBBPF_OPTS(bpf_uprobe_opts, in, .bpf_cookie = SCOPE_CUDA_COOKIE(sym->api, sym->flags));
		LIBBPF_OPTS(bpf_uprobe_opts, out, .bpf_cookie = SCOPE_CUDA_COOKIE(sym->api, sym->flags), .retprobe = true);
		struct bpf_link *l1 = bpf_program__attach_uprobe_opts(p->cuda->progs.cuda_enter, c->pid, path, s->offset, &in);
		if (!l1) {
			err = -errno;
			break;
		}
		keep_link(c, l1);
		struct bpf_link *l2 = bpf_program__attach_uprobe_opts(p->cuda->progs.cuda_exit, c->pid, path, s->offset, &out);
		if (!l2) {
			err = -errno;
			break;
		}
		keep_link(c, l2);
		attached++;
	}
	if (!err && attached == 0 && !warned_before(p->cuda_state, path))
		fprintf(stderr, "scope-collector: %s has none of the CUDA runtime functions SCOPE probes; not traced\n", path);
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

int scope_cuda_attach(struct scope_probes *p, pid_t pid, const char *exe, const char *lib_path)
{
	if (!p->cuda || !p->cuda_state)
		return 0;
	if (kill(pid, 0) && errno == ESRCH)
		return -ESRCH;
	struct cuda_pid *c = pid_state(p->cuda_state, pid, true);
	if (!c)
		return -ENOMEM;
	char exe_buf[4096];
	if (!exe) {
		char link[64];
		snprintf(link, sizeof(link), "/proc/%d/exe", pid);
		ssize_t n = readlink(link, exe_buf, sizeof(exe_buf) - 1);
		if (n > 0) {
			exe_buf[n] = 0;
			exe = exe_buf;
		}
	}
	char *env_path = lib_path ? NULL : scope_proc_getenv(pid, "LD_LIBRARY_PATH");
	struct scope_lib_set libs = { 0 };
	char *interp = NULL;
	scope_cuda_candidates(pid, exe, lib_path ? lib_path : env_path, &libs, &interp);
	attach_interp(p, c, interp);

	int added = 0, err = 0;
	for (size_t i = 0; i < libs.n; i++) {
		bool seen = false;
		for (size_t k = 0; k < c->nlibs && !seen; k++)
			seen = c->libs[k].dev == libs.devs[i] && c->libs[k].ino == libs.inos[i];
		if (seen)
			continue;
		err = attach_library(p, c, libs.paths[i]);
		if (err == -ESRCH || (err && kill(pid, 0) && errno == ESRCH)) {
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
	free(env_path);
	free(interp);
	scope_lib_set_free(&libs);
	return err ? err : added;
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
			bpf_link__destroy(c->links[k]);
		free(c->links);
		free(c->libs);
		st->pids[i] = st->pids[--st->npids];
		return;
	}
}

void scope_cuda_destroy(struct scope_probes *p)
{
	struct scope_cuda_state *st = p->cuda_state;
	if (st) {
		while (st->npids)
			scope_cuda_detach(p, st->pids[0].pid);
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
