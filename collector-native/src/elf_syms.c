#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_syms.h"

#define MAX_SYMS (1u << 22) /* a bound on what a hostile file can make us allocate */

static int cmp_sym(const void *a, const void *b)
{
	const struct scope_elf_sym *x = a, *y = b;
	return x->value < y->value ? -1 : x->value > y->value;
}

static int vaddr_to_offset(const struct scope_elf *e, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < e->nsegs; i++)
		if (vaddr >= e->segs[i].vaddr && vaddr - e->segs[i].vaddr < e->segs[i].filesz) {
			*off = vaddr - e->segs[i].vaddr + e->segs[i].offset;
			return 0;
		}
	return -1;
}

int scope_elf_offset_to_vaddr(const struct scope_elf *e, uint64_t offset, uint64_t *vaddr)
{
	for (size_t i = 0; i < e->nsegs; i++)
		if (offset >= e->segs[i].offset && offset - e->segs[i].offset < e->segs[i].filesz) {
			*vaddr = offset - e->segs[i].offset + e->segs[i].vaddr;
			return 0;
		}
	return -1;
}

static void read_segments(Elf *elf, struct scope_elf *e)
{
	size_t phnum = 0;
	if (elf_getphdrnum(elf, &phnum) || phnum == 0 || phnum > 4096)
		return;
	e->segs = calloc(phnum, sizeof(*e->segs));
	if (!e->segs)
		return;
	size_t size = 0;
	char *raw = elf_rawfile(elf, &size);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD)
			e->segs[e->nsegs++] = (struct scope_elf_segment){ ph.p_vaddr, ph.p_offset, ph.p_filesz };
		else if (ph.p_type == PT_INTERP && !e->interp && raw && ph.p_offset < size && ph.p_filesz > 1 &&
			 ph.p_filesz <= size - ph.p_offset && ph.p_filesz < 4096)
			e->interp = strndup(raw + ph.p_offset, ph.p_filesz);
	}
}

static void read_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct scope_elf *e)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	for (size_t i = 0; d && i < n; i++) {
		GElf_Dyn dyn;
		if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		char **slot = dyn.d_tag == DT_RPATH ? &e->rpath : dyn.d_tag == DT_RUNPATH ? &e->runpath
			    : dyn.d_tag == DT_SONAME ? &e->soname : NULL;
		if (!slot || *slot)
			continue;
		const char *s = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
		if (s)
			*slot = strdup(s);
	}
}

static void read_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, struct scope_elf *e, size_t *cap)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	for (size_t i = 0; d && i < n && e->nsyms < MAX_SYMS; i++) {
		GElf_Sym sym;
		if (!gelf_getsym(d, (int)i, &sym))
			break;
		if ((GELF_ST_TYPE(sym.st_info) != STT_FUNC && GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC) ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);
		uint64_t off;
		if (!name || !*name || vaddr_to_offset(e, sym.st_value, &off))
			continue;
		if (e->nsyms == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			struct scope_elf_sym *ns = realloc(e->syms, ncap * sizeof(*ns));
			if (!ns)
				return;
			e->syms = ns;
			*cap = ncap;
		}
		char *dup = strdup(name);
		if (!dup)
			return;
		e->syms[e->nsyms++] = (struct scope_elf_sym){ dup, sym.st_value, sym.st_size, off };
	}
}

static int index_elf(Elf *elf, struct scope_elf *e)
{
	GElf_Ehdr eh;
	if (!elf || elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 || !gelf_getehdr(elf, &eh))
		return -ENOEXEC;
	read_segments(elf, e);
	size_t cap = 0;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_DYNAMIC)
			read_dynamic(elf, scn, &sh, e);
		else if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM)
			read_symbols(elf, scn, &sh, e, &cap);
	}
	if (e->nsyms)
		qsort(e->syms, e->nsyms, sizeof(*e->syms), cmp_sym);
	return 0;
}

static int finish(struct scope_elf *e, Elf *elf)
{
	int err = index_elf(elf, e);
	if (elf)
		elf_end(elf);
	if (err)
		scope_elf_free(e);
	return err;
}

int scope_elf_open(struct scope_elf *e, const char *path)
{
	memset(e, 0, sizeof(*e));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = finish(e, elf_begin(fd, ELF_C_READ_MMAP, NULL));
	close(fd);
	return err;
}

int scope_elf_open_mem(struct scope_elf *e, const void *data, size_t len)
{
	memset(e, 0, sizeof(*e));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	return finish(e, elf_memory((char *)data, len));
}

void scope_elf_free(struct scope_elf *e)
{
	for (size_t i = 0; i < e->nsyms; i++)
		free(e->syms[i].name);
	free(e->syms);
	free(e->segs);
	free(e->interp);
	free(e->rpath);
	free(e->runpath);
	free(e->soname);
	memset(e, 0, sizeof(*e));
}

int scope_elf_object(const char *path, const char *name, uint64_t *value)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int err = -ENOENT;
	Elf_Scn *scn = NULL;
	while (elf && err == -ENOENT && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym))
				break;
			if (GELF_ST_TYPE(sym.st_info) != STT_OBJECT || sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			const char *s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (s && strcmp(s, name) == 0) {
				*value = sym.st_value;
				err = 0;
				break;
			}
		}
	}
	if (!elf)
		err = -ENOEXEC;
	else
		elf_end(elf);
	close(fd);
	return err;
}

int scope_elf_has_section(const char *path, const char *name)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t shstrndx;
	int found = 0;
	if (elf && elf_getshdrstrndx(elf, &shstrndx) == 0) {
		Elf_Scn *scn = NULL;
		while (!found && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
			found = n && strcmp(n, name) == 0;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

const struct scope_elf_sym *scope_elf_find(const struct scope_elf *e, const char *name)
{
	for (size_t i = 0; i < e->nsyms; i++)
		if (strcmp(e->syms[i].name, name) == 0)
			return &e->syms[i];
	return NULL;
}

const struct scope_elf_sym *scope_elf_at(const struct scope_elf *e, uint64_t addr)
{
	/* the last symbol starting at or before addr */
	size_t lo = 0, hi = e->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->syms[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct scope_elf_sym *s = &e->syms[lo - 1];
	if (addr == s->value || addr - s->value < s->size)
		return s;
	return NULL;
}
