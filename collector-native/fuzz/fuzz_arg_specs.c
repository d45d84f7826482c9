/*
 * scope_parse_arg_specs (src/syscall_lookup.c): "name=N:f,name=ret,name=data" argument specs of
 * the syscall table. The input becomes a C string. Properties, for several output array sizes
 * (each an exact heap allocation, so an entry written past it is caught by ASan):
 *  - the result is -1 or a count in 0..max;
 *  - every parsed entry is well formed: a NUL-terminated name of 1..15 bytes without '=' or ',',
 *    and a source/format pair from the spec grammar;
 *  - writing the entries back out gives the input again (less one trailing comma; "-" and ""
 *    are the empty list);
 *  - the count does not depend on max, except that more entries than max is -1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "syscall_table.h"

static void die(const char *what, const uint8_t *data, size_t size, int max)
{
	fprintf(stderr, "fuzz_arg_specs: %s (max %d)\n", what, max);
	json_dump("input", (const char *)data, size);
	abort();
}

/* Writes the specs back in the grammar; returns the length. out holds at least 32 bytes a spec. */
static size_t unparse(const struct scope_arg_spec *a, int n, char *out)
{
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		if (i)
			out[o++] = ',';
		size_t l = strlen(a[i].name);
		memcpy(out + o, a[i].name, l);
		o += l;
		out[o++] = '=';
		if (a[i].src == SCOPE_ARG_RET) {
			memcpy(out + o, "ret", 3);
			o += 3;
		} else if (a[i].src == SCOPE_ARG_DATA) {
			memcpy(out + o, "data", 4);
			o += 4;
		} else {
			out[o++] = '0' + a[i].src;
			out[o++] = ':';
			out[o++] = a[i].fmt;
		}
	}
	return o;
}

static void check_entry(const struct scope_arg_spec *a, const uint8_t *data, size_t size, int max)
{
	size_t l = strnlen(a->name, sizeof(a->name));
	if (l == 0 || l >= sizeof(a->name))
		die("entry name empty or not NUL-terminated", data, size, max);
	if (memchr(a->name, '=', l) || memchr(a->name, ',', l))
		die("entry name holds '=' or ','", data, size, max);
	if (a->src <= 5) {
		if (!a->fmt || !strchr("duxo", a->fmt))
			die("register entry with a bad format", data, size, max);
	} else if (a->src == SCOPE_ARG_RET) {
		if (a->fmt != 'd')
			die("ret entry not formatted 'd'", data, size, max);
	} else if (a->src != SCOPE_ARG_DATA) {
		die("entry with an unknown source", data, size, max);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int maxes[] = { SCOPE_MAX_ARG_SPECS, 3, 1, 0 };
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	size_t slen = strlen(s);
	int first = -2;
	for (size_t k = 0; k < sizeof(maxes) / sizeof(maxes[0]); k++) {
		int max = maxes[k];
		struct scope_arg_spec *out = malloc(max * sizeof(*out));
		if (!out && max)
			abort();
		int r = scope_parse_arg_specs(s, out, max);
		if (r < -1 || r > max)
			die("count out of range", data, size, max);
		if (k == 0) {
			first = r;
		} else {
			/* the same list, a smaller array: the same count, or -1 when it no longer fits */
			int want = first >= 0 && first <= max ? first : -1;
			if (r != want)
				die("count depends on the array size", data, size, max);
		}
		if (r >= 0) {
			for (int i = 0; i < r; i++)
				check_entry(&out[i], data, size, max);
			char *back = malloc(32 * (size_t)r + 1);
			if (!back)
				abort();
			size_t bl = unparse(out, r, back);
			size_t want = slen;
			if (want && s[want - 1] == ',')
				want--; /* a trailing comma is accepted */
			int same = bl == want && memcmp(back, s, bl) == 0;
			if (r == 0)
				same = slen == 0 || strcmp(s, "-") == 0;
			if (!same) {
				json_dump("written back", back, bl);
				die("parsed entries do not give the input back", data, size, max);
			}
			free(back);
		}
		free(out);
	}
	if (scope_parse_arg_specs(NULL, NULL, 0) != 0)
		die("NULL spec is not the empty list", data, size, 0);
	free(s);
	return 0;
}
