#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"

#define MAX_DEPTH 64

size_t json_utf8_seq(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	unsigned c = s[0];
	/* second-byte range and length by lead byte, as in Unicode table 3-7 */
	unsigned lo = 0x80, hi = 0xbf;
	size_t len;
	if (c <= 0x7f)
		return 1;
	else if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c == 0xe0)
		len = 3, lo = 0xa0;
	else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
		len = 3;
	else if (c == 0xed)
		len = 3, hi = 0x9f;
	else if (c == 0xf0)
		len = 4, lo = 0x90;
	else if (c >= 0xf1 && c <= 0xf3)
		len = 4;
	else if (c == 0xf4)
		len = 4, hi = 0x8f;
	else
		return 0;
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int json_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		size_t l = json_utf8_seq(s + i, n - i);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

struct key {
	size_t off, len;
};

struct parser {
	const unsigned char *s;
	size_t n, i;
	unsigned flags;
	int depth;
	const char *why;
	struct key *keys; /* keys of the objects being parsed, innermost last */
	size_t nkeys, capkeys;
	/* string decoding target, or NULL */
	char *out;
	size_t outlen;
};

static int fail(struct parser *p, const char *why)
{
	if (!p->why)
		p->why = why;
	return 0;
}

static void skip_ws(struct parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex4(struct parser *p, unsigned *v)
{
	if (p->n - p->i < 4)
		return fail(p, "short \\u escape");
	unsigned r = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(p->s[p->i + k]);
		if (h < 0)
			return fail(p, "bad hex digit in \\u escape");
		r = r << 4 | (unsigned)h;
	}
	p->i += 4;
	*v = r;
	return 1;
}

static void emit(struct parser *p, const void *b, size_t n)
{
	if (p->out) {
		memcpy(p->out + p->outlen, b, n);
		p->outlen += n;
	}
}

static void emit_cp(struct parser *p, unsigned cp)
{
	unsigned char t[4];
	size_t n;
	if (cp < 0x80) {
		t[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		t[0] = 0xc0 | cp >> 6;
		t[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		t[0] = 0xe0 | cp >> 12;
		t[1] = 0x80 | ((cp >> 6) & 0x3f);
		t[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		t[0] = 0xf0 | cp >> 18;
		t[1] = 0x80 | ((cp >> 12) & 0x3f);
		t[2] = 0x80 | ((cp >> 6) & 0x3f);
		t[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	emit(p, t, n);
}

static int string(struct parser *p)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return fail(p, "expected a string");
	p->i++;
	for (;;) {
		if (p->i >= p->n)
			return fail(p, "unterminated string");
		unsigned char c = p->s[p->i];
		if (c == '"') {
			p->i++;
			return 1;
		}
		if (c < 0x20)
			return fail(p, "raw control character in string");
		if (c == '\\') {
			if (++p->i >= p->n)
				return fail(p, "unterminated escape");
			unsigned char e = p->s[p->i++];
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			const char *k = e ? strchr(from, e) : NULL;
			if (k) {
				emit(p, to + (k - from), 1);
				continue;
			}
			if (e != 'u')
				return fail(p, "unknown escape");
			unsigned cp;
			if (!hex4(p, &cp))
				return 0;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return fail(p, "lone low surrogate escape");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;
				if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
					return fail(p, "high surrogate escape without a low one");
				p->i += 2;
				if (!hex4(p, &lo))
					return 0;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(p, "high surrogate escape without a low one");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			emit_cp(p, cp);
			continue;
		}
		size_t l = json_utf8_seq(p->s + p->i, p->n - p->i);
		if (!l)
			return fail(p, "invalid UTF-8 in string");
		emit(p, p->s + p->i, l);
		p->i += l;
	}
}

static int digits(struct parser *p)
{
	size_t start = p->i;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > start;
}

static int number(struct parser *p)
{
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i >= p->n)
		return fail(p, "truncated number");
	if (p->s[p->i] == '0') {
		p->i++;
	} else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
		digits(p);
	} else {
		return fail(p, "bad number");
	}
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (!digits(p))
			return fail(p, "no digits after the decimal point");
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (!digits(p))
			return fail(p, "no digits in the exponent");
	}
	return 1;
}

static int literal(struct parser *p, const char *word)
{
	size_t l = strlen(word);
	if (p->n - p->i < l || memcmp(p->s + p->i, word, l) != 0)
		return fail(p, "unknown literal");
	p->i += l;
	return 1;
}

static int value(struct parser *p);

static int push_key(struct parser *p, size_t base, size_t off, size_t len)
{
	if (p->flags & JSON_NO_DUP_KEYS) {
		for (size_t k = base; k < p->nkeys; k++)
			if (p->keys[k].len == len && memcmp(p->s + p->keys[k].off, p->s + off, len) == 0)
				return fail(p, "duplicate key");
	}
	if (p->nkeys == p->capkeys) {
		size_t cap = p->capkeys ? 2 * p->capkeys : 64;
		struct key *k = realloc(p->keys, cap * sizeof(*k));
		if (!k)
			abort();
		p->keys = k;
		p->capkeys = cap;
	}
	p->keys[p->nkeys++] = (struct key){ off, len };
	return 1;
}

static int object(struct parser *p)
{
	size_t base = p->nkeys;
	p->i++; /* { */
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == '}') {
		p->i++;
		return 1;
	}
	for (;;) {
		skip_ws(p);
		size_t off = p->i;
		if (!string(p))
			return 0;
		/* raw token comparison: the decoder escapes one way only, so equal keys are equal bytes */
		if (!push_key(p, base, off, p->i - off))
			return 0;
		skip_ws(p);
		if (p->i >= p->n || p->s[p->i] != ':')
			return fail(p, "expected ':' after a key");
		p->i++;
		if (!value(p))
			return 0;
		skip_ws(p);
		if (p->i >= p->n)
			return fail(p, "unterminated object");
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i] == '}') {
			p->i++;
			p->nkeys = base;
			return 1;
		}
		return fail(p, "expected ',' or '}' in object");
	}
}

static int array(struct parser *p)
{
	p->i++; /* [ */
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == ']') {
		p->i++;
		return 1;
	}
	for (;;) {
		if (!value(p))
			return 0;
		skip_ws(p);
		if (p->i >= p->n)
			return fail(p, "unterminated array");
		if (p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->s[p->i] == ']') {
			p->i++;
			return 1;
		}
		return fail(p, "expected ',' or ']' in array");
	}
}

static int value(struct parser *p)
{
	skip_ws(p);
	if (p->i >= p->n)
		return fail(p, "expected a value");
	if (++p->depth > MAX_DEPTH)
		return fail(p, "nested too deep");
	int ok;
	switch (p->s[p->i]) {
	case '{': ok = object(p); break;
	case '[': ok = array(p); break;
	case '"': ok = string(p); break;
	case 't': ok = literal(p, "true"); break;
	case 'f': ok = literal(p, "false"); break;
	case 'n': ok = literal(p, "null"); break;
	default:
		if (p->s[p->i] == '-' || (p->s[p->i] >= '0' && p->s[p->i] <= '9'))
			ok = number(p);
		else
			ok = fail(p, "unexpected character");
	}
	p->depth--;
	return ok;
}

int json_check(const char *s, size_t n, unsigned flags, const char **why, size_t *at)
{
	struct parser p = { .s = (const unsigned char *)s, .n = n, .flags = flags };
	int ok = 1;
	skip_ws(&p);
	if ((flags & JSON_TOP_OBJECT) && (p.i >= n || s[p.i] != '{'))
		ok = fail(&p, "not an object");
	if (ok)
		ok = value(&p);
	if (ok) {
		skip_ws(&p);
		if (p.i != n)
			ok = fail(&p, "trailing bytes after the value");
	}
	free(p.keys);
	if (why)
		*why = ok ? NULL : p.why;
	if (at)
		*at = p.i;
	return ok;
}

int json_string_decode(const char *s, size_t n, char *out, size_t *outlen)
{
	struct parser p = { .s = (const unsigned char *)s, .n = n, .out = out };
	int ok = string(&p) && p.i == n;
	*outlen = p.outlen;
	return ok;
}

void json_dump(const char *label, const char *s, size_t n)
{
	fprintf(stderr, "%s (%zu bytes): ", label, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputc('\n', stderr);
}
