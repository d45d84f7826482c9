/* Checks made before anything is loaded, each with its own message and exit code. */
#ifndef SCOPE_PREFLIGHT_H
#define SCOPE_PREFLIGHT_H
#include "args.h"

/* Each returns SCOPE_EXIT_OK or the exit code to leave with, after printing why. */
int scope_check_privileges(void);
int scope_check_btf(const char *path);
int scope_check_pids(const struct scope_args *a);
#endif
