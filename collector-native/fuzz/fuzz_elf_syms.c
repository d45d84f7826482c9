/*
 * scope_elf_open_mem and its lookups (src/elf_syms.c): the collector parses ELF files that target
 * processes map (a runtime named like libcudart, the module holding a launched stub), as root. A
 * crafted file must be refused or indexed, never crash or mislead. The input is the file image,
 * copied to an exact heap block (libelf may convert it in place). Properties, on success:
 *  - symbols are sorted by value, each with a NUL-terminated, non-empty name;
 *  - scope_elf_find(name) returns a symbol of exactly that name;
 *  - scope_elf_at(value) returns a symbol whose range holds value (a zero-size symbol: itself);
 *  - scope_elf_offset_to_vaddr agrees with the PT_LOAD segments it reports;
 *  - interp, rpath, runpath, soname are NULL or NUL-terminated strings;
 * and the result is 0 or a negative errno.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_syms.h"
#include "json_check.h"

static const uint8_t *cur;
static size_t cur_len;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_elf_syms: %s\n", what);
	json_dump("input", (const char *)cur, cur_len > 256 ? 256 : cur_len);
	abort();
}

static void check_str(const char *s)
{
	if (s && strlen(s) > (1u << 20))
		die("an absurdly long string");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur = data;
	cur_len = size;
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct scope_elf e;
	int r = scope_elf_open_mem(&e, copy, size);
	if (r > 0)
		die("a positive result");
	if (r == 0) {
		for (size_t i = 0; i < e.nsyms; i++) {
			const struct scope_elf_sym *s = &e.syms[i];
			if (!s->name || !*s->name)
				die("a symbol without a name");
			if (i && e.syms[i - 1].value > s->value)
				die("symbols not sorted by value");
			const struct scope_elf_sym *f = scope_elf_find(&e, s->name);
			if (!f || strcmp(f->name, s->name) != 0)
				die("find does not return the symbol by its name");
			const struct scope_elf_sym *at = scope_elf_at(&e, s->value);
			if (!at)
				die("no symbol at a symbol's own address");
			if (at->size ? !(at->value <= s->value && s->value - at->value < at->size) : at->value != s->value)
				die("at returns a symbol that does not hold the address");
		}
		for (size_t i = 0; i < e.nsegs; i++) {
			const struct scope_elf_segment *g = &e.segs[i];
			uint64_t v = 0;
			if (g->filesz && scope_elf_offset_to_vaddr(&e, g->offset, &v) != 0)
				die("a segment's first byte does not map");
		}
		check_str(e.interp);
		check_str(e.rpath);
		check_str(e.runpath);
		check_str(e.soname);
		scope_elf_free(&e);
	}
	free(copy);
	return 0;
}
