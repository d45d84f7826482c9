/*
 * scope_ld_cache_parse (src/cuda_libs.c): /etc/ld.so.cache, read when SCOPE starts a command with
 * CUDA probes, to find every runtime it could load. The file is root's, but a corrupt or foreign
 * one must be refused or read within its bounds. The input is the image, in an exact heap block.
 * Properties: the result is -1 or the number of paths handed to the callback; each path is a
 * NUL-terminated string inside the image; an image without the "glibc-ld.so.cache1.1" magic is
 * refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_libs.h"
#include "json_check.h"

struct seen {
	const uint8_t *base;
	size_t len;
	int n;
};

static void die(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "fuzz_ld_cache: %s\n", what);
	json_dump("input", (const char *)data, size > 256 ? 256 : size);
	abort();
}

static void add(void *ctx, const char *path)
{
	struct seen *s = ctx;
	const uint8_t *p = (const uint8_t *)path;
	if (p < s->base || p >= s->base + s->len || !memchr(p, 0, s->len - (size_t)(p - s->base)))
		die("a path outside the image or without its NUL", s->base, s->len);
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct seen s = { copy, size, 0 };
	int r = scope_ld_cache_parse(copy, size, "libcudart", add, &s);
	if (r != -1 && r != s.n)
		die("the result is not the number of paths reported", data, size);
	if (r == -1 && s.n)
		die("a refused image reported paths", data, size);
	if (r >= 0 && !memmem(data, size, "glibc-ld.so.cache1.1", 20))
		die("an image without the magic was accepted", data, size);
	free(copy);
	return 0;
}
