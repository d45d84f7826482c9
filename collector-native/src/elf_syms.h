/* Reading ELF files the collector probes: symbol offsets for uprobes, the symbol that holds an
 * address (kernel names when registrations were missed), the interpreter, RPATH and RUNPATH. The
 * files are untrusted input: every read is bounds-checked by libelf, and garbage is refused. */
#ifndef SCOPE_ELF_SYMS_H
#define SCOPE_ELF_SYMS_H
#include <stddef.h>
#include <stdint.h>

struct scope_elf_sym {
	char *name;
	uint64_t value;  /* virtual address as linked */
	uint64_t size;
	uint64_t offset; /* file offset of value: where a uprobe goes */
};

struct scope_elf_segment {
	uint64_t vaddr, offset, filesz;
};

struct scope_elf {
	struct scope_elf_sym *syms; /* functions only, sorted by value */
	size_t nsyms;
	struct scope_elf_segment *segs; /* PT_LOAD */
	size_t nsegs;
	char *interp;   /* PT_INTERP, or NULL */
	char *rpath;    /* DT_RPATH, or NULL */
	char *runpath;  /* DT_RUNPATH, or NULL */
	char *soname;   /* DT_SONAME, or NULL */
};

/* Opens and indexes path; returns 0 or a negative errno (-ENOEXEC for not-ELF or malformed). */
int scope_elf_open(struct scope_elf *e, const char *path);
/* The same from bytes in memory (for tests and fuzzing). */
int scope_elf_open_mem(struct scope_elf *e, const void *data, size_t len);
void scope_elf_free(struct scope_elf *e);
/* The function named name (an exact match; version suffixes are not part of .dynsym names). */
const struct scope_elf_sym *scope_elf_find(const struct scope_elf *e, const char *name);
/* The function whose [value, value + size) holds addr (a zero-size symbol holds only its address). */
const struct scope_elf_sym *scope_elf_at(const struct scope_elf *e, uint64_t addr);
/* The value (virtual address as linked) of the data object named name in path's .symtab or
 * .dynsym; 0, or a negative errno (-ENOENT when there is none). */
int scope_elf_object(const char *path, const char *name, uint64_t *value);
/* Whether path has a section of that name (".note.stapsdt": USDT probes). */
int scope_elf_has_section(const char *path, const char *name);
/* Maps a file offset to the virtual address it is loaded at (as linked); returns 0 if unmapped. */
int scope_elf_offset_to_vaddr(const struct scope_elf *e, uint64_t offset, uint64_t *vaddr);
#endif
