/* Starting the traced command: forked, stopped (SIGSTOP) until its pid is a target, then let go
 * to exec, so the probes see it from its execve on. It keeps the collector's stdin, stdout and
 * stderr, and its process group. */
#ifndef SCOPE_COMMAND_H
#define SCOPE_COMMAND_H
#include <sys/types.h>

struct scope_command {
	pid_t pid;
};

int scope_command_spawn(struct scope_command *c, char **argv);
/* Lets the stopped child go on to exec. */
int scope_command_release(struct scope_command *c);
/* Turns a wait status into a shell-style exit code: the code, or 128 + signal. */
int scope_command_exit_code(int status);
#endif
