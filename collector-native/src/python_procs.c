#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "elf_syms.h"
#include "python_procs.h"

const struct scope_py_layout *scope_py_layout_for(uint32_t version_hex)
{
	for (unsigned i = 0; i < scope_py_layouts_len; i++)
		if (scope_py_layouts[i].bpf.version_hex == version_hex)
			return &scope_py_layouts[i];
	return NULL;
}

static bool read_mem(pid_t pid, uint64_t addr, void *out, size_t len)
{
	struct iovec local = { out, len }, remote = { (void *)(uintptr_t)addr, len };
	return addr && process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* python3.11, python3.12d, libpython3.13.so.1.0: the interpreter's own file. */
static bool interpreter_name(const char *base)
{
	if (strncmp(base, "libpython3.", 11) == 0)
		return strstr(base, ".so") != NULL;
	if (strncmp(base, "python3.", 8) != 0)
		return false;
	const char *p = base + 8;
	while (*p >= '0' && *p <= '9')
		p++;
	return p > base + 8 && (*p == 0 || strcmp(p, "d") == 0 || strcmp(p, "t") == 0);
}

static void versions_known(char *out, size_t len)
{
	out[0] = 0;
	for (unsigned i = 0; i < scope_py_layouts_len; i++) {
		size_t n = strlen(out);
		snprintf(out + n, len - n, "%s%s", i ? ", " : "", scope_py_layouts[i].version);
	}
}

int scope_py_inspect(pid_t pid, struct scope_py_proc *proc, const struct scope_py_layout **layout,
		     char *why, size_t whylen)
{
	char path[64], line[PATH_MAX + 128], file[PATH_MAX] = "";
	unsigned long long start = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(why, whylen, "it is gone");
		return -1;
	}
	/* The first mapping of the interpreter's file (offset 0): where the file's start is loaded.
	 * A libpython wins over the executable that loads it. */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		char perms[8];
		char *name = strchr(line, '/');
		if (!name || sscanf(line, "%llx-%llx %7s %llx", &s, &e, perms, &off) != 4 || off != 0)
			continue;
		name[strcspn(name, "\n")] = 0;
		const char *base = strrchr(name, '/') + 1;
		if (!interpreter_name(base) || (*file && strncmp(base, "libpython", 9) != 0))
			continue;
		snprintf(file, sizeof(file), "%s", name);
		start = s;
	}
	fclose(f);
	if (!*file) {
		snprintf(why, whylen, "it runs no CPython interpreter (no python3.X or libpython3.X mapped)");
		return -1;
	}
	uint64_t runtime, version_sym, vaddr0 = 0;
	struct scope_elf elf;
	if (scope_elf_open(&elf, file) == 0) {
		scope_elf_offset_to_vaddr(&elf, 0, &vaddr0);
		scope_elf_free(&elf);
	}
	const char *base = strrchr(file, '/') + 1;
	if (scope_elf_object(file, "_PyRuntime", &runtime)) {
		if (strncmp(base, "libpython", 9) != 0) {
			/* a shared build's launcher, whose libpython ld.so has not mapped yet */
			snprintf(why, whylen, "%s is a launcher without the interpreter", file);
			return -EAGAIN;
		}
		snprintf(why, whylen, "%s has no _PyRuntime symbol", file);
		return -1;
	}
	if (scope_elf_object(file, "Py_Version", &version_sym)) {
		char known[256];
		versions_known(known, sizeof(known));
		snprintf(why, whylen, "it runs a CPython older than 3.11 (%s has no Py_Version), which SCOPE cannot sample "
			 "(it samples %s)", file, known);
		return -1;
	}
	uint64_t bias = start - vaddr0;
	uint32_t version = 0;
	if (!read_mem(pid, bias + version_sym, &version, sizeof(version))) {
		snprintf(why, whylen, "its memory could not be read (%s)", strerror(errno));
		return -1;
	}
	const struct scope_py_layout *l = scope_py_layout_for(version);
	if (!l) {
		char known[256];
		versions_known(known, sizeof(known));
		snprintf(why, whylen, "it runs CPython %u.%u.%u (%s), which SCOPE has no headers for (it samples %s)",
			 version >> 24, (version >> 16) & 0xff, (version >> 8) & 0xff, file, known);
		return -1;
	}
	memset(proc, 0, sizeof(*proc));
	proc->runtime = bias + runtime;
	proc->state = SCOPE_PY_READY;
	proc->off = l->bpf;
	*layout = l;
	return 0;
}

/* --- code objects --------------------------------------------------------------------------- */

struct code_entry {
	uint32_t pid;
	uint64_t addr; /* 0: empty */
	struct scope_py_code code;
};

struct layout_entry {
	uint32_t pid;
	const struct scope_py_layout *layout;
};

struct scope_py_codes {
	struct code_entry *e;
	size_t cap, used;
	struct layout_entry *layouts;
	size_t nlayouts;
};

struct scope_py_codes *scope_py_codes_new(void)
{
	struct scope_py_codes *c = calloc(1, sizeof(*c));
	if (c) {
		c->cap = 1024;
		c->e = calloc(c->cap, sizeof(*c->e));
		if (!c->e) {
			free(c);
			return NULL;
		}
	}
	return c;
}

static void drop_codes(struct scope_py_codes *c, uint32_t pid, bool all)
{
	size_t old = c->cap;
	struct code_entry *e = c->e;
	struct code_entry *ne = calloc(old, sizeof(*ne));
	if (!ne && !all)
		return;
	c->e = ne;
	c->used = 0;
	for (size_t i = 0; i < old; i++) {
		if (!e[i].addr)
			continue;
		if (all || e[i].pid == pid) {
			free(e[i].code.linetable);
			continue;
		}
		size_t h = (size_t)((e[i].addr ^ ((uint64_t)e[i].pid << 40)) * 0x9e3779b97f4a7c15ull >> 32) & (old - 1);
		while (ne[h].addr)
			h = (h + 1) & (old - 1);
		ne[h] = e[i];
		c->used++;
	}
	free(e);
}

void scope_py_codes_free(struct scope_py_codes *c)
{
	if (!c)
		return;
	drop_codes(c, 0, true);
	free(c->e);
	free(c->layouts);
	free(c);
}

void scope_py_codes_set_layout(struct scope_py_codes *c, uint32_t pid, const struct scope_py_layout *layout)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nlayouts; i++) {
		if (c->layouts[i].pid != pid)
			continue;
		if (layout) {
			c->layouts[i].layout = layout;
		} else {
			c->layouts[i] = c->layouts[--c->nlayouts];
			drop_codes(c, pid, false); /* a new image: its addresses mean other objects */
		}
		return;
	}
	if (!layout)
		return;
	struct layout_entry *nl = realloc(c->layouts, (c->nlayouts + 1) * sizeof(*nl));
	if (!nl)
		return;
	c->layouts = nl;
	c->layouts[c->nlayouts++] = (struct layout_entry){ pid, layout };
}

static const struct scope_py_layout *layout_of(const struct scope_py_codes *c, uint32_t pid)
{
	for (size_t i = 0; i < c->nlayouts; i++)
		if (c->layouts[i].pid == pid)
			return c->layouts[i].layout;
	return NULL;
}

/* A str object's text, as UTF-8 when it is ASCII or Latin-1 (1 byte a character), else its code
 * points as '?' beyond ASCII: names in Python sources are ASCII in practice. */
static bool read_str(pid_t pid, const struct scope_py_layout *l, uint64_t obj, char *out, size_t outlen, bool *cut)
{
	uint64_t length;
	uint32_t state;
	out[0] = 0;
	if (!read_mem(pid, obj + l->unicode_length, &length, sizeof(length)) || !read_mem(pid, obj + l->unicode_state, &state, sizeof(state)))
		return false;
	unsigned kind = (state >> l->kind_shift) & ((1u << l->kind_bits) - 1);
	bool compact = (state >> l->compact_shift) & 1, ascii = (state >> l->ascii_shift) & 1;
	if (!compact || kind != 1 || length > 1 << 20)
		return false;
	size_t n = length < outlen - 1 ? length : outlen - 1;
	*cut |= n < length;
	if (!read_mem(pid, obj + (ascii ? l->ascii_data : l->compact_data), out, n))
		return false;
	out[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] >= 0x80)
			out[i] = '?';
	return true;
}

static void read_code(pid_t pid, const struct scope_py_layout *l, uint64_t addr, struct scope_py_code *code)
{
	memset(code, 0, sizeof(*code));
	uint64_t qualname, filename, linetable, size;
	int32_t first;
	if (!read_mem(pid, addr + l->co_qualname, &qualname, 8) || !read_mem(pid, addr + l->co_filename, &filename, 8) ||
	    !read_mem(pid, addr + l->co_linetable, &linetable, 8) || !read_mem(pid, addr + l->co_firstlineno, &first, 4) ||
	    !read_str(pid, l, qualname, code->qualname, sizeof(code->qualname), &code->truncated) ||
	    !read_str(pid, l, filename, code->filename, sizeof(code->filename), &code->truncated)) {
		memset(code, 0, sizeof(*code));
		code->unreadable = true;
		return;
	}
	code->first_line = first > 0 ? (uint32_t)first : 0;
	if (read_mem(pid, linetable + l->bytes_size, &size, 8) && size && size < 1 << 20) {
		code->linetable = malloc(size);
		if (code->linetable && read_mem(pid, linetable + l->bytes_data, code->linetable, size)) {
			code->linetable_len = size;
		} else {
			free(code->linetable);
			code->linetable = NULL;
		}
	}
}

const struct scope_py_code *scope_py_codes_get(struct scope_py_codes *c, uint32_t pid, uint64_t addr, bool *fresh)
{
	*fresh = false;
	const struct scope_py_layout *l = c ? layout_of(c, pid) : NULL;
	if (!l || !addr)
		return NULL;
	if ((c->used + 1) * 2 > c->cap) {
		/* grow: rehash into twice the slots */
		struct code_entry *old = c->e;
		size_t oldcap = c->cap;
		struct code_entry *ne = calloc(oldcap * 2, sizeof(*ne));
		if (ne) {
			c->e = ne;
			c->cap = oldcap * 2;
			for (size_t i = 0; i < oldcap; i++) {
				if (!old[i].addr)
					continue;
				size_t h = (size_t)((old[i].addr ^ ((uint64_t)old[i].pid << 40)) * 0x9e3779b97f4a7c15ull >> 32) & (c->cap - 1);
				while (ne[h].addr)
					h = (h + 1) & (c->cap - 1);
				ne[h] = old[i];
			}
			free(old);
		} else if (c->used + 1 >= c->cap) {
			return NULL;
		}
	}
	size_t h = (size_t)((addr ^ ((uint64_t)pid << 40)) * 0x9e3779b97f4a7c15ull >> 32) & (c->cap - 1);
	for (;; h = (h + 1) & (c->cap - 1)) {
		struct code_entry *e = &c->e[h];
		if (e->addr == addr && e->pid == pid)
			return &e->code;
		if (!e->addr) {
			e->addr = addr;
			e->pid = pid;
			read_code((pid_t)pid, l, addr, &e->code);
			c->used++;
			*fresh = true;
			return &e->code;
		}
	}
}

/* --- line tables ---------------------------------------------------------------------------- */

/* The location table (Objects/locations.md in CPython): entries of a first byte 1cccclll (code c,
 * length l+1 code units) and, by code, varints: 15 no location, 14 long form (line delta as a
 * signed varint, then end line, column and end column), 13 no columns (line delta), 10-12 one line
 * (delta c-10, then two column bytes), 0-9 short form (same line, one column byte). */
static bool varint(const uint8_t *t, size_t len, size_t *i, uint32_t *out)
{
	uint32_t v = 0;
	for (unsigned shift = 0; *i < len && shift < 32; shift += 6) {
		uint8_t b = t[(*i)++];
		v |= (uint32_t)(b & 63) << shift;
		if (!(b & 64)) {
			*out = v;
			return true;
		}
	}
	return false;
}

static bool svarint(const uint8_t *t, size_t len, size_t *i, int32_t *out)
{
	uint32_t v;
	if (!varint(t, len, i, &v))
		return false;
	*out = (v & 1) ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
	return true;
}

uint32_t scope_py_line(const uint8_t *t, size_t len, uint32_t first_line, int32_t instr)
{
	if (!t || instr < 0)
		return 0;
	int64_t line = first_line, addr = 0;
	size_t i = 0;
	while (i < len) {
		uint8_t b = t[i++];
		if (!(b & 0x80))
			return 0; /* not at an entry's start: the table is not what we think */
		unsigned code = (b >> 3) & 15, units = (b & 7) + 1;
		bool has_line = true;
		if (code == 15) {
			has_line = false;
		} else if (code == 14) {
			int32_t d;
			uint32_t skip;
			if (!svarint(t, len, &i, &d) || !varint(t, len, &i, &skip) || !varint(t, len, &i, &skip) ||
			    !varint(t, len, &i, &skip))
				return 0;
			line += d;
		} else if (code == 13) {
			int32_t d;
			if (!svarint(t, len, &i, &d))
				return 0;
			line += d;
		} else if (code >= 10) {
			line += code - 10;
			i += 2;
		} else {
			i += 1;
		}
		if (instr < addr + units)
			return has_line && line > 0 && line < UINT32_MAX ? (uint32_t)line : 0;
		addr += units;
	}
	return 0;
}
