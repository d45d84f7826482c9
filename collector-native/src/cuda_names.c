#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_names.h"
#include "demangle.h"
#include "elf_syms.h"

struct name_entry {
	uint32_t pid;
	uint64_t host_fun;
	char *name; /* demangled; "" when the ELF symbols were searched in vain; NULL: an empty slot */
};

struct mapping {
	uint32_t pid;
	uint64_t start, end, offset;
	char *path;
};

struct elf_cache_entry {
	char *path;
	struct scope_elf elf;
	int err;
};

struct scope_cuda_names {
	struct name_entry *slots;
	size_t cap, used;
	struct mapping *maps;
	size_t nmaps, capmaps;
	struct elf_cache_entry *elfs;
	size_t nelfs;
};

struct scope_cuda_names *scope_cuda_names_new(void)
{
	struct scope_cuda_names *n = calloc(1, sizeof(*n));
	if (n) {
		n->cap = 1024;
		n->slots = calloc(n->cap, sizeof(*n->slots));
		if (!n->slots) {
			free(n);
			return NULL;
		}
	}
	return n;
}

static size_t slot_of(uint32_t pid, uint64_t fun, size_t cap)
{
	uint64_t h = (fun ^ ((uint64_t)pid << 40)) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (cap - 1);
}

static void put(struct scope_cuda_names *n, uint32_t pid, uint64_t fun, char *name)
{
	for (size_t i = slot_of(pid, fun, n->cap);; i = (i + 1) & (n->cap - 1)) {
		struct name_entry *e = &n->slots[i];
		if (!e->name) {
			*e = (struct name_entry){ pid, fun, name };
			n->used++;
			return;
		}
		if (e->pid == pid && e->host_fun == fun) {
			free(e->name);
			e->name = name;
			return;
		}
	}
}

static void grow(struct scope_cuda_names *n)
{
	struct name_entry *old = n->slots;
	size_t oldcap = n->cap;
	struct name_entry *slots = calloc(oldcap * 2, sizeof(*slots));
	if (!slots)
		return;
	n->slots = slots;
	n->cap = oldcap * 2;
	n->used = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].name)
			put(n, old[i].pid, old[i].host_fun, old[i].name);
	free(old);
}

/* Takes ownership of name. */
static void store(struct scope_cuda_names *n, uint32_t pid, uint64_t fun, char *name)
{
	if ((n->used + 1) * 2 > n->cap)
		grow(n);
	put(n, pid, fun, name);
}

void scope_cuda_names_add(struct scope_cuda_names *n, uint32_t pid, uint64_t host_fun, const char *name)
{
	if (!n || !name || !*name)
		return;
	char d[4096];
	scope_demangle(name, d, sizeof(d));
	char *copy = strdup(d);
	if (copy)
		store(n, pid, host_fun, copy);
}

static const char *lookup(const struct scope_cuda_names *n, uint32_t pid, uint64_t host_fun)
{
	for (size_t i = slot_of(pid, host_fun, n->cap);; i = (i + 1) & (n->cap - 1)) {
		const struct name_entry *e = &n->slots[i];
		if (!e->name)
			return NULL;
		if (e->pid == pid && e->host_fun == host_fun)
			return e->name;
	}
}

const char *scope_cuda_names_get(const struct scope_cuda_names *n, uint32_t pid, uint64_t host_fun)
{
	const char *name = n ? lookup(n, pid, host_fun) : NULL;
	return name && *name ? name : NULL;
}

static void drop_maps(struct scope_cuda_names *n, uint32_t pid)
{
	size_t k = 0;
	for (size_t i = 0; i < n->nmaps; i++) {
		if (n->maps[i].pid == pid)
			free(n->maps[i].path);
		else
			n->maps[k++] = n->maps[i];
	}
	n->nmaps = k;
}

void scope_cuda_names_snapshot(struct scope_cuda_names *n, pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return; /* gone: keep what we had */
	size_t old = n->nmaps;
	char line[PATH_MAX + 128];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s %llx", &start, &end, perms, &off) != 4 || perms[2] != 'x')
			continue;
		char *file = strchr(line, '/');
		if (!file)
			continue;
		file[strcspn(file, "\n")] = 0;
		if (n->nmaps == n->capmaps) {
			size_t cap = n->capmaps ? n->capmaps * 2 : 64;
			struct mapping *m = realloc(n->maps, cap * sizeof(*m));
			if (!m)
				break;
			n->maps = m;
			n->capmaps = cap;
		}
		char *p = strdup(file);
		if (!p)
			break;
		n->maps[n->nmaps++] = (struct mapping){ (uint32_t)pid, start, end, off, p };
	}
	fclose(f);
	/* A process that has exited but is not reaped yet shows no mappings: keep what we had, its
	 * records are still being read. Otherwise the new snapshot replaces the old one. */
	if (n->nmaps == old)
		return;
	size_t k = 0;
	for (size_t i = 0; i < n->nmaps; i++) {
		if (i < old && n->maps[i].pid == (uint32_t)pid)
			free(n->maps[i].path);
		else
			n->maps[k++] = n->maps[i];
	}
	n->nmaps = k;
}

static const struct scope_elf *elf_for(struct scope_cuda_names *n, const char *path)
{
	for (size_t i = 0; i < n->nelfs; i++)
		if (strcmp(n->elfs[i].path, path) == 0)
			return n->elfs[i].err ? NULL : &n->elfs[i].elf;
	struct elf_cache_entry *e = realloc(n->elfs, (n->nelfs + 1) * sizeof(*e));
	if (!e)
		return NULL;
	n->elfs = e;
	struct elf_cache_entry *c = &n->elfs[n->nelfs++];
	c->path = strdup(path);
	c->err = c->path ? scope_elf_open(&c->elf, path) : -1;
	return c->err ? NULL : &c->elf;
}

bool scope_cuda_stub_device_name(const char *stub, char *out, size_t outlen)
{
	static const char tag[] = "__device_stub__";
	const char *at = strstr(stub, tag);
	if (!at || at == stub || outlen < 2)
		return false;
	/* The stub's own mangling gives the length of its source name, which the tag starts. */
	const char *digits = at;
	while (digits > stub && digits[-1] >= '0' && digits[-1] <= '9')
		digits--;
	char *end;
	unsigned long len = strtoul(digits, &end, 10);
	if (digits == at || end != at || len <= sizeof(tag) - 1 || len > strlen(at))
		return false;
	/* "__device_stub__Z6vecAddPfS_S_i" stands for "_Z6vecAddPfS_S_i" */
	size_t inner = len - (sizeof(tag) - 1);
	if (inner + 2 > outlen)
		return false;
	out[0] = '_';
	memcpy(out + 1, at + sizeof(tag) - 1, inner);
	out[inner + 1] = 0;
	return out[1] == 'Z';
}

static const struct mapping *mapping_of(const struct scope_cuda_names *n, uint32_t pid, uint64_t addr)
{
	for (size_t i = 0; i < n->nmaps; i++)
		if (n->maps[i].pid == pid && addr >= n->maps[i].start && addr < n->maps[i].end)
			return &n->maps[i];
	return NULL;
}

bool scope_cuda_names_from_elf(struct scope_cuda_names *n, uint32_t pid, uint64_t fun, char *out, size_t outlen)
{
	if (!n || !fun)
		return false;
	/* A launch handle SCOPE never saw is no file's address: every launch through it would search
	 * again, so a search that failed is remembered ("" in the table, which a name replaces). */
	const char *known = lookup(n, pid, fun);
	if (known && !*known)
		return false;
	const struct mapping *m = mapping_of(n, pid, fun);
	if (!m) {
		/* mapped since the last snapshot (a dlopen): look again while the process is there */
		scope_cuda_names_snapshot(n, pid);
		m = mapping_of(n, pid, fun);
	}
	if (m) {
		const struct scope_elf *elf = elf_for(n, m->path);
		uint64_t vaddr;
		const struct scope_elf_sym *s = NULL;
		if (elf && !scope_elf_offset_to_vaddr(elf, fun - m->start + m->offset, &vaddr))
			s = scope_elf_at(elf, vaddr);
		if (s) {
			/* nvcc names a host stub after its kernel: name the kernel, not the stub */
			char device[1024];
			const char *name = scope_cuda_stub_device_name(s->name, device, sizeof(device)) ? device : s->name;
			snprintf(out, outlen, "%s", name);
			scope_cuda_names_add(n, pid, fun, name);
			return true;
		}
	}
	char *none = strdup("");
	if (none)
		store(n, pid, fun, none);
	return false;
}

bool scope_cuda_names_symbol(struct scope_cuda_names *n, uint32_t pid, uint64_t ret_addr,
			     struct scope_cuda_symbol_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!n || ret_addr < 2)
		return false;
	/* A return address can lie just past its function when the call was the function's last
	 * instruction (a noreturn callee): the call itself is the byte before. */
	uint64_t at = ret_addr - 1;
	const struct mapping *m = mapping_of(n, pid, at);
	if (!m) {
		scope_cuda_names_snapshot(n, pid);
		m = mapping_of(n, pid, at);
	}
	if (!m)
		return false;
	const char *base = strrchr(m->path, '/');
	snprintf(out->module, sizeof(out->module), "%s", base ? base + 1 : m->path);
	uint64_t file_off = ret_addr - m->start + m->offset;
	out->offset = file_off;
	const struct scope_elf *elf = elf_for(n, m->path);
	uint64_t vaddr;
	const struct scope_elf_sym *s = NULL;
	if (elf && !scope_elf_offset_to_vaddr(elf, file_off - 1, &vaddr))
		s = scope_elf_at(elf, vaddr);
	if (!s)
		return false;
	char d[4096];
	scope_demangle(s->name, d, sizeof(d));
	size_t len = strlen(d);
	out->truncated = len >= sizeof(out->name);
	memcpy(out->name, d, out->truncated ? sizeof(out->name) - 1 : len);
	out->offset = vaddr + 1 - s->value;
	return true;
}

void scope_cuda_names_forget(struct scope_cuda_names *n, uint32_t pid)
{
	if (!n)
		return;
	drop_maps(n, pid);
	/* Names stay: records of the process may still be waiting to be decoded. Pids are reused
	 * only after a long while, and a new registration replaces an old name. */
}

void scope_cuda_names_free(struct scope_cuda_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->cap; i++)
		free(n->slots[i].name);
	free(n->slots);
	drop_maps(n, (uint32_t)-1);
	for (size_t i = 0; i < n->nmaps; i++)
		free(n->maps[i].path);
	free(n->maps);
	for (size_t i = 0; i < n->nelfs; i++) {
		free(n->elfs[i].path);
		if (!n->elfs[i].err)
			scope_elf_free(&n->elfs[i].elf);
	}
	free(n->elfs);
	free(n);
}
