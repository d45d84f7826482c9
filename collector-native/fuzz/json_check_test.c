/* Self-test of the fuzz targets' JSON checker: it must accept what is valid and reject what is
 * not, or the fuzz targets' properties mean nothing. Run by `make fuzz` before the fuzzers. */
#include <stdio.h>
#include <string.h>

#include "json_check.h"

static int failures, count;

#define S(lit) lit, sizeof(lit) - 1

static void expect(int want, const char *s, size_t n, unsigned flags)
{
	const char *why;
	size_t at;
	count++;
	int got = json_check(s, n, flags, &why, &at);
	if (got != want) {
		failures++;
		json_dump(want ? "rejected valid JSON" : "accepted invalid JSON", s, n);
		if (!got)
			fprintf(stderr, "  why: %s at %zu\n", why, at);
	}
}

static void expect_utf8(int want, const char *s, size_t n)
{
	count++;
	if (json_utf8_valid(s, n) != want) {
		failures++;
		json_dump(want ? "rejected valid UTF-8" : "accepted invalid UTF-8", s, n);
	}
}

static void expect_decode(const char *s, size_t n, const char *want, size_t wantlen)
{
	char out[256];
	size_t len;
	count++;
	if (!json_string_decode(s, n, out, &len) || len != wantlen || memcmp(out, want, len) != 0) {
		failures++;
		json_dump("bad string decode", s, n);
	}
}

int main(void)
{
	/* valid */
	expect(1, S("{}"), JSON_TOP_OBJECT);
	expect(1, S("[]"), 0);
	expect(1, S(" {\"a\":1,\"b\":[true,false,null,-0,0.5,1e9,-2.5E-3,\"x\"],\"c\":{}} "), JSON_TOP_OBJECT | JSON_NO_DUP_KEYS);
	expect(1, S("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000 \\u00e9 \\ud83d\\ude00\""), 0);
	expect(1, S("\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbd\""), 0);
	expect(1, S("{\"a\":1,\"a\":2}"), JSON_TOP_OBJECT); /* duplicates only rejected on request */
	expect(1, S("{\"a\":{\"a\":1},\"b\":{\"a\":2}}"), JSON_NO_DUP_KEYS); /* same key, other objects */
	expect(1, S("12"), 0);
	/* invalid */
	expect(0, S(""), 0);
	expect(0, S("{"), 0);
	expect(0, S("{\"a\":1,}"), 0);
	expect(0, S("[1,]"), 0);
	expect(0, S("{\"a\" 1}"), 0);
	expect(0, S("{a:1}"), 0);
	expect(0, S("{\"a\":1}x"), 0);
	expect(0, S("{\"a\":1}{}"), 0);
	expect(0, S("[1 2]"), 0);
	expect(0, S("01"), 0);
	expect(0, S("1."), 0);
	expect(0, S("1e"), 0);
	expect(0, S("-"), 0);
	expect(0, S("+1"), 0);
	expect(0, S("tru"), 0);
	expect(0, S("nul"), 0);
	expect(0, S("\"abc"), 0);
	expect(0, S("\"a\tb\""), 0);        /* raw control character */
	expect(0, S("\"a\x01\""), 0);
	expect(0, S("\"\\x41\""), 0);       /* not a JSON escape */
	expect(0, S("\"\\u12\""), 0);
	expect(0, S("\"\\u12g4\""), 0);
	expect(0, S("\"\\ud83d\""), 0);     /* lone high surrogate */
	expect(0, S("\"\\ude00\""), 0);     /* lone low surrogate */
	expect(0, S("\"\\ud83d\\u0041\""), 0);
	expect(0, S("\"\xff\""), 0);        /* invalid UTF-8 inside a string */
	expect(0, S("\"\xc0\xaf\""), 0);    /* overlong */
	expect(0, S("\"\xed\xa0\x80\""), 0); /* encoded surrogate */
	expect(0, S("\"\xe2\x82\""), 0);    /* truncated sequence */
	expect(0, S("[1]"), JSON_TOP_OBJECT);
	expect(0, S("{\"a\":1,\"a\":2}"), JSON_NO_DUP_KEYS);
	expect(0, S("{\"a\":1,\"b\":{\"c\":1},\"a\":2}"), JSON_NO_DUP_KEYS);
	{
		char deep[200];
		memset(deep, '[', 100);
		memset(deep + 100, ']', 100);
		expect(0, deep, sizeof(deep), 0); /* deeper than the checker goes */
	}
	expect(0, S("{\"a\":1}\0"), 0);     /* a NUL after the value */

	/* UTF-8 */
	expect_utf8(1, S("abc"));
	expect_utf8(1, S("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));
	expect_utf8(0, S("\x80"));
	expect_utf8(0, S("\xc1\xbf"));
	expect_utf8(0, S("\xe0\x9f\xbf"));
	expect_utf8(0, S("\xed\xa0\x80"));
	expect_utf8(0, S("\xf4\x90\x80\x80"));
	expect_utf8(0, S("\xf5\x80\x80\x80"));
	expect_utf8(0, S("\xf0\x90\x80"));

	/* string decoding */
	expect_decode(S("\"a\\\"b\\\\c\\n\\u0001\\u00e9\\ud83d\\ude00\""), S("a\"b\\c\n\x01\xc3\xa9\xf0\x9f\x98\x80"));
	expect_decode(S("\"\""), S(""));

	printf("json_check_test: %d checks, %d failed\n", count, failures);
	return failures != 0;
}
