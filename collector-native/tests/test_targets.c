/* /proc/PID/stat parsing (untrusted text: a process picks its own name) and arg-spec parsing. */
#include "check.h"
#include "syscall_table.h"
#include "targets.h"

static int stat_parse(const char *s, char *comm, pid_t *ppid)
{
	return scope_parse_proc_stat(s, strlen(s), comm, 16, ppid);
}

int main(void)
{
	char comm[16];
	pid_t ppid = 0;
	CHECK(stat_parse("123 (cat) R 45 123 45 0 -1", comm, &ppid) == 0);
	CHECK_STR(comm, "cat");
	CHECK(ppid == 45);
	/* A name with spaces and parentheses: the last ')' ends it. */
	CHECK(stat_parse("9 (a) S 1 (b)) S 77 9 9", comm, &ppid) == 0);
	CHECK_STR(comm, "a) S 1 (b)");
	CHECK(ppid == 77);
	CHECK(stat_parse("", comm, &ppid) == -1);
	CHECK(stat_parse("12 cat R 4", comm, &ppid) == -1);
	CHECK(stat_parse("12 (cat)", comm, &ppid) == -1);
	CHECK(stat_parse("12 (cat) R x", comm, &ppid) == -1);
	CHECK(stat_parse("12 (cat) R 4x", comm, &ppid) == -1);
	CHECK(stat_parse(")(", comm, &ppid) == -1);
	/* A ppid that does not fit a pid is refused, not wrapped. */
	CHECK(stat_parse("1 (a) S 4294967297 0", comm, &ppid) == -1);
	CHECK(stat_parse("1 (a) S 2147483648 0", comm, &ppid) == -1);
	CHECK(stat_parse("1 (a) S 4194304 0", comm, &ppid) == -1);
	CHECK(stat_parse("1 (a) S 4194303 0", comm, &ppid) == 0 && ppid == 4194303);
	CHECK(stat_parse("1 (a) S 77\n", comm, &ppid) == 0 && ppid == 77);

	struct scope_arg_spec s[8];
	CHECK(scope_parse_arg_specs("fd=0:d,bytes=ret,path=data", s, 8) == 3);
	CHECK(!strcmp(s[0].name, "fd") && s[0].src == 0 && s[0].fmt == 'd');
	CHECK(s[1].src == SCOPE_ARG_RET && s[2].src == SCOPE_ARG_DATA);
	CHECK(scope_parse_arg_specs("-", s, 8) == 0);
	CHECK(scope_parse_arg_specs("fd=6:d", s, 8) == -1);
	CHECK(scope_parse_arg_specs("fd=0:q", s, 8) == -1);
	CHECK(scope_parse_arg_specs("=0:d", s, 8) == -1);
	CHECK(scope_parse_arg_specs("fd", s, 8) == -1);
	CHECK(scope_parse_arg_specs("a=0:d,b=1:d,c=2:d", s, 2) == -1);

	/* The whole generated table parses, and names map back to numbers. */
	CHECK(scope_syscalls_init() == 0);
	CHECK(scope_syscall_nr("openat") == 257);
	CHECK(scope_syscall_nr("copy_file_range") == 326);
	CHECK(scope_syscall_nr("nosuch") == -1);
	CHECK_STR(scope_syscall_info(1)->name, "write");
	CHECK_DONE();
}
