/* A growable byte buffer with the few JSON emitters the event decoder needs. */
#ifndef SCOPE_JBUF_H
#define SCOPE_JBUF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jbuf {
	char *p;
	size_t len, cap;
	bool oom; /* sticky: set when growing failed; the content is then incomplete */
};

void jb_free(struct jbuf *b);
void jb_reset(struct jbuf *b);
void jb_raw(struct jbuf *b, const char *s, size_t n);
void jb_lit(struct jbuf *b, const char *s);
/* A JSON string from bytes that may hold anything: stops at n or at a NUL; invalid UTF-8 bytes
 * become U+FFFD, so the line stays valid JSON whatever the process put in its arguments. */
void jb_str(struct jbuf *b, const char *s, size_t n);
void jb_key(struct jbuf *b, const char *k); /* ,"k": (comma unless right after { or [) */
void jb_u64(struct jbuf *b, uint64_t v);
void jb_i64(struct jbuf *b, int64_t v);
void jb_fmt(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
