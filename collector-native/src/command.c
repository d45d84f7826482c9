#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "exit_codes.h"

int scope_command_spawn(struct scope_command *c, char **argv)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* The collector handles these; the command gets the defaults back. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Stop until the collector has made us a target. A raw kill() and not raise(): raise()
		 * restores the signal mask with a syscall that would then be traced before execve. */
		syscall(SYS_kill, getpid(), SIGSTOP);
		execvp(argv[0], argv);
		int e = errno;
		fprintf(stderr, "scope-collector: cannot run '%s': %s\n", argv[0], strerror(e));
		_exit(e == ENOENT ? SCOPE_EXIT_CANNOT_EXEC : 126);
	}
	int status;
	pid_t w;
	do
		w = waitpid(pid, &status, WUNTRACED);
	while (w < 0 && errno == EINTR);
	if (w != pid || !WIFSTOPPED(status)) {
		if (w == pid)
			c->pid = 0;
		return -ECHILD;
	}
	c->pid = pid;
	return 0;
}

int scope_command_release(struct scope_command *c)
{
	return kill(c->pid, SIGCONT) ? -errno : 0;
}

int scope_command_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return SCOPE_EXIT_FAILURE;
}
