/*
 * jb_str (src/jbuf.c): arbitrary bytes (argv, paths, comm: whatever a process chose) become one
 * JSON string. Properties checked on every input:
 *  - the output is exactly one valid JSON string token, valid UTF-8, appended after what the
 *    buffer held (which stays untouched);
 *  - it decodes to the input up to its first NUL, with each byte that does not start a
 *    well-formed UTF-8 sequence replaced by U+FFFD (the contract in jbuf.h);
 *  - printable ASCII comes back unchanged, and without '"' or '\' it is written verbatim;
 *  - as an object key (jb_key) the input still makes a valid JSON object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"
#include "json_check.h"

static void die(const char *what, const uint8_t *data, size_t size, const struct jbuf *b)
{
	fprintf(stderr, "fuzz_jbuf: %s\n", what);
	json_dump("input", (const char *)data, size);
	if (b)
		json_dump("output", b->p, b->len);
	abort();
}

/* What jb_str promises: bytes up to the first NUL, invalid UTF-8 bytes as U+FFFD one by one. */
static size_t expected(const uint8_t *in, size_t n, char *out)
{
	size_t end = 0, o = 0;
	while (end < n && in[end])
		end++;
	for (size_t i = 0; i < end;) {
		size_t l = json_utf8_seq(in + i, end - i);
		if (l) {
			memcpy(out + o, in + i, l);
			o += l;
			i += l;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jbuf b = { 0 };
	const char *why = NULL;
	size_t at = 0;

	/* 1. jb_str after some content already in the buffer */
	static const char prefix[] = "[\"x\",";
	jb_lit(&b, prefix);
	size_t before = b.len;
	jb_str(&b, (const char *)data, size);
	if (b.oom)
		die("out of memory", data, size, NULL);
	if (before != sizeof(prefix) - 1 || memcmp(b.p, prefix, before) != 0)
		die("jb_str changed what the buffer held", data, size, &b);
	const char *tok = b.p + before;
	size_t toklen = b.len - before;
	if (!json_utf8_valid(tok, toklen))
		die("output is not valid UTF-8", data, size, &b);
	if (!json_check(tok, toklen, 0, &why, &at) || toklen < 2 || tok[0] != '"') {
		fprintf(stderr, "  why: %s at %zu\n", why ? why : "not a string", at);
		die("output is not one JSON string", data, size, &b);
	}
	char *dec = malloc(toklen + 1), *want = malloc(3 * size + 1);
	if (!dec || !want)
		abort();
	size_t declen;
	if (!json_string_decode(tok, toklen, dec, &declen))
		die("output does not decode as a JSON string", data, size, &b);
	size_t wantlen = expected(data, size, want);
	if (declen != wantlen || memcmp(dec, want, declen) != 0) {
		json_dump("decoded ", dec, declen);
		json_dump("expected", want, wantlen);
		die("output does not decode to the input", data, size, &b);
	}

	/* 2. printable ASCII round-trips; without quotes and backslashes it is written as is */
	size_t end = 0;
	int printable = 1, plain = 1;
	while (end < size && data[end]) {
		if (data[end] < 0x20 || data[end] > 0x7e)
			printable = 0;
		if (data[end] == '"' || data[end] == '\\')
			plain = 0;
		end++;
	}
	if (printable) {
		if (declen != end || memcmp(dec, data, end) != 0)
			die("printable ASCII did not round-trip", data, size, &b);
		if (plain && (toklen != end + 2 || memcmp(tok + 1, data, end) != 0 || tok[toklen - 1] != '"'))
			die("plain printable ASCII was not written verbatim", data, size, &b);
	}
	jb_lit(&b, "]");
	if (!json_check(b.p, b.len, 0, &why, &at)) {
		fprintf(stderr, "  why: %s at %zu\n", why, at);
		die("the array around the string is not valid JSON", data, size, &b);
	}
	free(dec);
	free(want);

	/* 3. the input as an object key (jb_key takes a C string) */
	char *key = malloc(size + 1);
	if (!key)
		abort();
	memcpy(key, data, size);
	key[size] = 0;
	jb_reset(&b);
	jb_lit(&b, "{");
	jb_key(&b, key);
	jb_u64(&b, 1);
	jb_key(&b, "second");
	jb_i64(&b, -1);
	jb_lit(&b, "}");
	free(key);
	if (!json_utf8_valid(b.p, b.len) || !json_check(b.p, b.len, JSON_TOP_OBJECT, &why, &at)) {
		fprintf(stderr, "  why: %s at %zu\n", why ? why : "invalid UTF-8", at);
		die("an object keyed by the input is not valid JSON", data, size, &b);
	}
	jb_free(&b);
	return 0;
}
