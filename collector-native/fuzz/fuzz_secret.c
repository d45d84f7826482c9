/*
 * scope_secret_parse (src/args.c): the batch-signing secret, hex, from --secret-file or
 * $SCOPE_COLLECTOR_SECRET. The input becomes a C string (it ends at its first NUL, as the file
 * text read into a NUL-terminated buffer does). Properties, for several output sizes (each an
 * exact heap allocation, so a byte written past it is caught by ASan):
 *  - the result agrees with an independent reading: optional whitespace (space, \t, \n, \r), an
 *    even number of hex digits, optional whitespace, the end; more than max bytes is -1;
 *  - on success the bytes are the hex decoded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "json_check.h"

static void die(const char *what, const uint8_t *data, size_t size, size_t max)
{
	fprintf(stderr, "fuzz_secret: %s (max %zu)\n", what, max);
	json_dump("input", (const char *)data, size);
	abort();
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int reference(const char *s, uint8_t *out, size_t max)
{
	size_t a = 0, b = strlen(s);
	while (a < b && is_ws(s[a]))
		a++;
	while (b > a && is_ws(s[b - 1]))
		b--;
	if ((b - a) % 2)
		return -1;
	for (size_t i = a; i < b; i++)
		if (hexv(s[i]) < 0)
			return -1;
	size_t n = (b - a) / 2;
	if (n > max)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(hexv(s[a + 2 * i]) << 4 | hexv(s[a + 2 * i + 1]));
	return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 64, 16, 1, 0 };
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	for (size_t k = 0; k < sizeof(maxes) / sizeof(maxes[0]); k++) {
		size_t max = maxes[k];
		uint8_t *out = malloc(max), want[64];
		if (!out && max)
			abort();
		int r = scope_secret_parse(s, out, max);
		int w = reference(s, want, max);
		if (r < -1 || r > (int)max)
			die("result out of range", data, size, max);
		if (r != w) {
			fprintf(stderr, "got %d, want %d\n", r, w);
			die("result differs from the reference reading", data, size, max);
		}
		if (r > 0 && memcmp(out, want, r) != 0)
			die("decoded bytes differ", data, size, max);
		free(out);
	}
	free(s);
	return 0;
}
