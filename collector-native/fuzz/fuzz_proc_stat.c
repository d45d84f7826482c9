/*
 * scope_parse_proc_stat (src/targets.c): /proc/PID/stat text, whose comm field any process sets
 * to what it likes (spaces, parentheses, ") S 1 " ...). The input is the text, not NUL-terminated,
 * exactly as read(2) returned it. Properties checked, for several comm buffer sizes (each an exact
 * heap allocation, so a byte written past it is caught by ASan):
 *  - the result is 0 or -1, and agrees with an independent reading of the format
 *    "pid (comm) S ppid ...": comm from the first '(' to the last ')', one state byte, then the
 *    ppid digits followed by a space or the end;
 *  - on success comm is NUL-terminated inside its buffer and holds the expected bytes, truncated,
 *    and ppid is the expected number; on failure ppid is left alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "json_check.h"
#include "targets.h"

static void die(const char *what, const uint8_t *data, size_t size, size_t commlen)
{
	fprintf(stderr, "fuzz_proc_stat: %s (commlen %zu)\n", what, commlen);
	json_dump("input", (const char *)data, size);
	abort();
}

/* The reference reading; returns 0 or -1 like the parser. */
static int reference(const char *t, size_t len, size_t commlen, const char **comm, size_t *comm_n, long long *ppid)
{
	size_t open = len, close = len;
	for (size_t i = 0; i < len; i++)
		if (t[i] == '(') {
			open = i;
			break;
		}
	for (size_t i = len; i > 0; i--)
		if (t[i - 1] == ')') {
			close = i - 1;
			break;
		}
	if (open == len || close == len || close < open || commlen == 0)
		return -1;
	*comm = t + open + 1;
	*comm_n = close - open - 1;
	if (*comm_n > commlen - 1)
		*comm_n = commlen - 1;
	size_t p = close + 1;
	if (len - p < 4 || t[p] != ' ' || t[p + 2] != ' ')
		return -1;
	p += 3;
	size_t d = 0;
	long long v = 0;
	while (p + d < len && t[p + d] >= '0' && t[p + d] <= '9') {
		v = d < 18 ? v * 10 + (t[p + d] - '0') : v;
		d++;
	}
	/* a pid has at most 7 digits and is below 2^22; it ends at a space, a newline or the text */
	if (d == 0 || d > 7 || v >= (1 << 22) || (p + d < len && t[p + d] != ' ' && t[p + d] != '\n'))
		return -1;
	*ppid = v;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t commlens[] = { 16, 1, 2, 0 };
	const char *text = (const char *)data;
	for (size_t k = 0; k < sizeof(commlens) / sizeof(commlens[0]); k++) {
		size_t commlen = commlens[k];
		char *comm = malloc(commlen); /* exact: even for 0, where nothing may be written */
		if (!comm && commlen)
			abort();
		pid_t ppid = -7;
		int r = scope_parse_proc_stat(text, size, comm, commlen, &ppid);
		const char *wcomm = NULL;
		size_t wn = 0;
		long long wppid = 0;
		int want = reference(text, size, commlen, &wcomm, &wn, &wppid);
		if (r != 0 && r != -1)
			die("result is neither 0 nor -1", data, size, commlen);
		if (r != want)
			die(r ? "rejected well-formed stat text" : "accepted malformed stat text", data, size, commlen);
		if (r == 0) {
			if (memchr(comm, 0, commlen) == NULL)
				die("comm is not NUL-terminated inside its buffer", data, size, commlen);
			if (memcmp(comm, wcomm, wn) != 0 || comm[wn] != 0)
				die("comm is not the text between the parentheses", data, size, commlen);
			if (ppid != wppid || ppid < 0 || ppid >= (1 << 22))
				die("ppid is not the pid after the state", data, size, commlen);
		} else if (ppid != -7) {
			die("ppid written on failure", data, size, commlen);
		}
		free(comm);
	}
	return 0;
}
