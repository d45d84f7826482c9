/* What the Python sampler needs from user space: which interpreter a process runs (and so where
 * its structures are), and what its code objects are called and at which line an instruction is. */
#ifndef SCOPE_PYTHON_PROCS_H
#define SCOPE_PYTHON_PROCS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "python_layout.h"

/* Looks at a process: finds the interpreter it maps (python3.X or libpython3.X.so), the address of
 * its _PyRuntime and its version, and the layout for that version. Fills *proc (state READY) and
 * *layout and returns 0; -EAGAIN when it is a shared build's launcher whose libpython is not mapped
 * yet (look again later); otherwise -1 with a one-line reason in why (no Python, or a version SCOPE
 * has no headers for). */
int scope_py_inspect(pid_t pid, struct scope_py_proc *proc, const struct scope_py_layout **layout,
		     char *why, size_t whylen);

/* A code object's names and line table, read from the process once and kept. */
struct scope_py_code {
	char qualname[128];
	char filename[256];
	uint32_t first_line;
	bool unreadable;  /* the process was gone, or the object made no sense */
	bool truncated;   /* a name was cut */
	uint8_t *linetable;
	size_t linetable_len;
};

struct scope_py_codes;
struct scope_py_codes *scope_py_codes_new(void);
void scope_py_codes_free(struct scope_py_codes *c);
/* Remembers which layout a process uses (0 forgets it: the process exec'd or exited). */
void scope_py_codes_set_layout(struct scope_py_codes *c, uint32_t pid, const struct scope_py_layout *layout);
/* The code object at addr of pid, read on first use; *fresh says it was read now (so a record
 * naming it must go out). NULL when the process has no known layout. */
const struct scope_py_code *scope_py_codes_get(struct scope_py_codes *c, uint32_t pid, uint64_t addr, bool *fresh);

/* The line of instruction instr (in code units) from a 3.11+ location table (co_linetable); 0 when
 * the table does not say. Pure: for tests and fuzzing. */
uint32_t scope_py_line(const uint8_t *table, size_t len, uint32_t first_line, int32_t instr);
#endif
