/* Distinct exit codes, documented in docs/collector.md. With `-- CMD` the collector instead exits
 * with the command's own status (128 + signal when a signal ended it). */
#ifndef SCOPE_EXIT_CODES_H
#define SCOPE_EXIT_CODES_H
enum {
	SCOPE_EXIT_OK = 0,
	SCOPE_EXIT_FAILURE = 1,     /* unexpected runtime error */
	SCOPE_EXIT_USAGE = 2,       /* bad arguments */
	SCOPE_EXIT_PRIVILEGE = 3,   /* not root and lacking CAP_BPF + CAP_PERFMON */
	SCOPE_EXIT_NO_BTF = 4,      /* kernel BTF missing or unreadable */
	SCOPE_EXIT_NO_TARGET = 5,   /* a --pid that does not exist */
	SCOPE_EXIT_BPF = 6,         /* the kernel refused to load or attach a program */
	SCOPE_EXIT_CANNOT_EXEC = 127,
};
#endif
