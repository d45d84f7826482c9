/* A test target whose syscalls are known exactly: write_n N CODE makes exactly N write(2) calls of
 * one byte to /dev/null, then exits with CODE. Startup uses no write. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 64;
	long n = strtol(argv[1], NULL, 10);
	int code = (int)strtol(argv[2], NULL, 10);
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 65;
	for (long i = 0; i < n; i++)
		if (syscall(SYS_write, fd, "x", 1) != 1)
			return 66;
	/* Long enough for a collector watching by pid to see the process before it ends. */
	if (getenv("WRITE_N_LINGER_MS"))
		usleep(1000 * atoi(getenv("WRITE_N_LINGER_MS")));
	_exit(code);
}
