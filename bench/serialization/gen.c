// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Records as the probes fill them: a busy server's processes, common syscalls with plausible
 * arguments (small fds and sizes next to 48-bit pointers), real paths and command lines. What
 * varies matters for MessagePack, whose integers take 1 to 9 bytes by value and whose strings
 * take their real length, while the fixed layout always takes the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: deterministic, so every run and both formats see the same records */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

#define PICK(s, arr) ((arr)[rnd(s) % (sizeof(arr) / sizeof((arr)[0]))])

static const char *const comms[] = {
	"nginx", "postgres", "java", "python3", "node", "bash", "sshd", "containerd-shim",
	"kubelet", "systemd-journal", "redis-server", "envoy", "dotnet", "gunicorn",
};

/* read, write, close, fstat, mmap, sendto, recvfrom, futex, epoll_wait, clock_nanosleep */
static const uint32_t plain_nrs[] = { 0, 1, 3, 5, 9, 44, 45, 202, 232, 230 };
/* openat, newfstatat, statx, unlinkat, access */
static const uint32_t path_nrs[] = { 257, 262, 332, 263, 21 };

static const char *const paths[] = {
	"/etc/ld.so.cache",
	"/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/proc/self/status",
	"/var/lib/postgresql/15/main/base/16384/2619",
	"/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/cpu.max",
	"/var/log/nginx/access.log",
	"/tmp/pip-build-env-3k1x9q/overlay/lib/python3.11/site-packages/setuptools/__init__.py",
	"/home/app/.cache/node/corepack/v1/pnpm/8.6.0/dist/pnpm.cjs",
	"/dev/null",
	"/etc/hosts",
};

struct cmdline {
	const char *filename;
	const char *argv[8];
};

static const struct cmdline cmdlines[] = {
	{ "/usr/bin/git", { "git", "status", "--porcelain=v2", "--branch" } },
	{ "/usr/bin/python3.11", { "python3", "-m", "pytest", "-q", "tests/unit/test_ingest.py" } },
	{ "/bin/sh", { "sh", "-c", "ps -eo pid,ppid,comm,args --sort=start_time | tail -n 20" } },
	{ "/usr/local/bin/node", { "node", "/srv/app/node_modules/.bin/next", "build" } },
	{ "/usr/bin/curl", { "curl", "-fsS", "--max-time", "5", "http://127.0.0.1:8080/healthz" } },
	{ "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
	  { "java", "-Xmx2g", "-XX:+UseG1GC", "-Dspring.profiles.active=prod", "-jar",
	    "/opt/service/app-2.14.3.jar" } },
};

static void fill_header(struct scope_event_header *h, uint16_t type, uint16_t size, uint64_t *s,
			uint64_t ts)
{
	h->type = type;
	h->size = size;
	h->cpu = rnd(s) % 64;
	h->ts_ns = ts;
	h->start_ns = ts - rnd(s) % 3600000000000ull; /* started within the hour */
	h->pid = 1000 + rnd(s) % 400000;
	h->tid = h->pid + rnd(s) % 4 * (rnd(s) % 50);
	const char *c = PICK(s, comms);
	memcpy(h->comm, c, strnlen(c, SCOPE_COMM_LEN)); /* NUL-padded: mem is zeroed */
}

static void fill_syscall(struct scope_syscall *r, uint32_t nr, uint64_t *s)
{
	r->nr = nr;
	r->flags = 0;
	/* mostly successes returning small counts, some -EAGAIN / -ENOENT */
	uint64_t k = rnd(s) % 10;
	r->ret = k == 0 ? -11 : k == 1 ? -2 : (int64_t)(rnd(s) % 65536);
	r->dur_ns = 150 + rnd(s) % (k < 5 ? 5000 : 2000000);
	r->args[0] = 3 + rnd(s) % 200;                         /* an fd */
	r->args[1] = 0x7ffc00000000ull + (rnd(s) & 0xffffffff0ull); /* a user pointer */
	r->args[2] = 1ull << (rnd(s) % 17);                    /* a size */
	r->args[3] = rnd(s) % 3 ? 0 : 0x80000;                 /* flags */
	r->args[4] = 0;
	r->args[5] = rnd(s) % 2 ? 0 : 0x55d0a0000000ull + (rnd(s) & 0xfffffff8ull);
}

static size_t make_one(uint8_t *at, int type, uint64_t *s, uint64_t ts)
{
	switch (type) {
	case SCOPE_EV_SYSCALL: {
		struct scope_syscall *r = (void *)at;
		fill_header(&r->hdr, type, sizeof(*r), s, ts);
		fill_syscall(r, PICK(s, plain_nrs), s);
		return sizeof(*r);
	}
	case SCOPE_EV_SYSCALL_DATA: {
		struct scope_syscall_data *r = (void *)at;
		fill_header(&r->sc.hdr, type, sizeof(*r), s, ts);
		fill_syscall(&r->sc, PICK(s, path_nrs), s);
		const char *p = PICK(s, paths);
		r->data_kind = SCOPE_DATA_PATH;
		r->data_len = strlen(p);
		memcpy(r->data, p, r->data_len);
		return sizeof(*r);
	}
	default: {
		struct scope_process_exec *r = (void *)at;
		const struct cmdline *c = &PICK(s, cmdlines);
		fill_header(&r->hdr, SCOPE_EV_PROCESS_EXEC, sizeof(*r), s, ts);
		r->info.ppid = 1000 + rnd(s) % 400000;
		r->info.uid = rnd(s) % 2 ? 0 : 1000;
		r->info.cgroup_id = 4000 + rnd(s) % 100000;
		r->filename_len = strlen(c->filename);
		memcpy(r->filename, c->filename, r->filename_len);
		size_t off = 0;
		for (int i = 0; i < 8 && c->argv[i]; i++) {
			size_t l = strlen(c->argv[i]) + 1; /* NUL-separated, as in the process */
			memcpy(r->argv + off, c->argv[i], l);
			off += l;
			r->argc++;
		}
		r->argv_len = off;
		return sizeof(*r);
	}
	}
}

static int pick_type(enum mix mix, uint64_t *s)
{
	switch (mix) {
	case MIX_SYSCALL: return SCOPE_EV_SYSCALL;
	case MIX_SYSCALL_DATA: return SCOPE_EV_SYSCALL_DATA;
	case MIX_EXEC: return SCOPE_EV_PROCESS_EXEC;
	default: break;
	}
	uint64_t k = rnd(s) % 100;
	return k < 80 ? SCOPE_EV_SYSCALL : k < 95 ? SCOPE_EV_SYSCALL_DATA : SCOPE_EV_PROCESS_EXEC;
}

int pool_make(struct pool *p, enum mix mix, size_t n, uint64_t seed)
{
	uint64_t s = seed | 1;
	memset(p, 0, sizeof(*p));
	p->rec = calloc(n, sizeof(*p->rec));
	p->mem = calloc(n, sizeof(struct scope_process_exec)); /* room for the largest */
	if (!p->rec || !p->mem)
		return -1;
	uint64_t ts = 950000ull * 1000000000ull; /* CLOCK_BOOTTIME, 11 days up */
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		ts += 200 + rnd(&s) % 5000;
		p->rec[i] = (const void *)(p->mem + off);
		off += make_one(p->mem + off, pick_type(mix, &s), &s, ts);
	}
	p->n = n;
	return 0;
}

void pool_free(struct pool *p)
{
	free(p->rec);
	free(p->mem);
	memset(p, 0, sizeof(*p));
}

const char *mix_name(enum mix mix)
{
	static const char *const names[] = { "syscall", "syscall_data", "process_exec", "mix" };
	return names[mix];
}
