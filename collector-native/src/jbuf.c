#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"

static bool reserve(struct jbuf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void jb_free(struct jbuf *b)
{
	free(b->p);
	*b = (struct jbuf){ 0 };
}

void jb_reset(struct jbuf *b)
{
	b->len = 0;
	b->oom = false;
}

void jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void jb_lit(struct jbuf *b, const char *s)
{
	jb_raw(b, s, strlen(s));
}

/* Length of a valid UTF-8 sequence starting at s (at most n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		min = 0x80;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		min = 0x800;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		min = 0x10000;
		c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

void jb_str(struct jbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t end = 0;
	while (end < n && u[end])
		end++;
	if (!reserve(b, end * 6 + 2))
		return;
	char *o = b->p + b->len;
	*o++ = '"';
	for (size_t i = 0; i < end;) {
		unsigned char c = u[i];
		if (c >= 0x80) {
			size_t l = utf8_len(u + i, end - i);
			if (l) {
				memcpy(o, u + i, l);
				o += l;
				i += l;
			} else {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			}
			continue;
		}
		switch (c) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		default:
			if (c < 0x20) {
				o += sprintf(o, "\\u%04x", c);
			} else {
				*o++ = c;
			}
		}
		i++;
	}
	*o++ = '"';
	b->len = o - b->p;
}

void jb_key(struct jbuf *b, const char *k)
{
	if (b->len && b->p[b->len - 1] != '{' && b->p[b->len - 1] != '[')
		jb_raw(b, ",", 1);
	jb_str(b, k, strlen(k));
	jb_raw(b, ":", 1);
}

void jb_u64(struct jbuf *b, uint64_t v)
{
	char t[24];
	jb_raw(b, t, snprintf(t, sizeof(t), "%llu", (unsigned long long)v));
}

void jb_i64(struct jbuf *b, int64_t v)
{
	char t[24];
	jb_raw(b, t, snprintf(t, sizeof(t), "%lld", (long long)v));
}

void jb_fmt(struct jbuf *b, const char *fmt, ...)
{
	char t[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	if (n > 0)
		jb_raw(b, t, (size_t)n < sizeof(t) ? (size_t)n : sizeof(t) - 1);
}
