/* Syscall names and how to decode their arguments, from bpf/syscalls_x86_64.tsv. */
#ifndef SCOPE_SYSCALL_TABLE_H
#define SCOPE_SYSCALL_TABLE_H
#include <stdbool.h>
#include <stdint.h>

struct scope_syscall_def {
	unsigned nr;
	const char *name;
	const char *capture; /* "path@1", "sockaddr@1/2", ... or "-" */
	const char *args;    /* "fd=0:d,bytes=ret", ... or "-" */
};

extern const struct scope_syscall_def scope_syscall_defs[];
extern const unsigned scope_syscall_defs_len;

/* One decoded argument: where its value comes from and how to print it. */
enum scope_arg_src { SCOPE_ARG_REG0 = 0, SCOPE_ARG_RET = 6, SCOPE_ARG_DATA = 7 };

struct scope_arg_spec {
	char name[16];
	uint8_t src;  /* 0..5 register argument, SCOPE_ARG_RET or SCOPE_ARG_DATA */
	char fmt;     /* 'd', 'u', 'x', 'o' */
};

#define SCOPE_MAX_ARG_SPECS 8

struct scope_syscall_info {
	const char *name;  /* NULL when the number is not in the table */
	uint8_t nargs;
	struct scope_arg_spec args[SCOPE_MAX_ARG_SPECS];
};

/* Parses every spec once; fails on a malformed table entry. */
int scope_syscalls_init(void);
const struct scope_syscall_info *scope_syscall_info(unsigned nr);
/* Returns the number for a name, or -1. */
int scope_syscall_nr(const char *name);
/* Parses one args spec; exposed for tests. Returns the count, or -1 when malformed. */
int scope_parse_arg_specs(const char *spec, struct scope_arg_spec *out, int max);

#endif
