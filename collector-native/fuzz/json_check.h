/* A small, strict JSON and UTF-8 checker for the fuzz targets: what the decoder writes must pass it.
 * Independent of src/jbuf.c on purpose (its own UTF-8 tables), so a bug there cannot hide here. */
#ifndef SCOPE_FUZZ_JSON_CHECK_H
#define SCOPE_FUZZ_JSON_CHECK_H
#include <stddef.h>

/* Flags for json_check(). */
#define JSON_TOP_OBJECT 0x1 /* the value must be an object */
#define JSON_NO_DUP_KEYS 0x2 /* no object may repeat a key */

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0 (Unicode 3-7:
 * no overlong forms, no surrogates, nothing above U+10FFFF). */
size_t json_utf8_seq(const unsigned char *s, size_t n);
/* 1 when s[0..n) is all well-formed UTF-8. */
int json_utf8_valid(const char *s, size_t n);

/*
 * 1 when s[0..n) is exactly one JSON value (RFC 8259), with optional whitespace around it;
 * strings must be valid UTF-8 and may not hold raw control characters or lone surrogate escapes.
 * On 0, *why (if given) says what was wrong and *at (if given) where.
 */
int json_check(const char *s, size_t n, unsigned flags, const char **why, size_t *at);

/*
 * Decodes s[0..n), which must be exactly one JSON string token, into UTF-8 bytes out[0..*outlen)
 * (out needs n bytes at most). Returns 1, or 0 when it is not a valid string token.
 */
int json_string_decode(const char *s, size_t n, char *out, size_t *outlen);

/* Writes s[0..n) to stderr with bytes outside printable ASCII as \xNN: for failure reports. */
void json_dump(const char *label, const char *s, size_t n);
#endif
