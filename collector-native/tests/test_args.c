/* Option parsing: what is accepted, what each refusal says, and the defaults. */
#include <limits.h>
#include <stdlib.h>

#include "args.h"
#include "check.h"
#include "syscall_table.h"

static int parse(struct scope_args *a, char *err, const char *const *argv)
{
	int argc = 0;
	static char *copy[32];
	for (; argv[argc]; argc++)
		copy[argc] = (char *)argv[argc];
	copy[argc] = NULL;
	return scope_args_parse(argc, copy, a, err, 256);
}

#define ARGV(...) ((const char *const[]){ "scope-collector", __VA_ARGS__, NULL })

static int bit(const struct scope_args *a, const char *name)
{
	int nr = scope_syscall_nr(name);
	return nr >= 0 && (a->detail_mask[nr / 64] >> (nr % 64)) & 1;
}

int main(void)
{
	struct scope_args a;
	char err[256];
	CHECK(scope_syscalls_init() == 0);

	/* A command: both probe sets, children followed, stdout. */
	CHECK(parse(&a, err, ARGV("--stdout", "--", "/bin/cat", "/etc/hostname")) == 0);
	CHECK(a.command && !strcmp(a.command[0], "/bin/cat") && !strcmp(a.command[1], "/etc/hostname") && !a.command[2]);
	CHECK(a.probes == (SCOPE_PROBE_PROCESS | SCOPE_PROBE_SYSCALLS));
	CHECK(a.follow_children && a.to_stdout && !a.output);
	CHECK(bit(&a, "openat") && bit(&a, "copy_file_range") && !bit(&a, "getppid"));

	/* Options after the command belong to the command. */
	CHECK(parse(&a, err, ARGV("--", "ls", "--pid", "3")) == 0);
	CHECK(a.npids == 0 && !strcmp(a.command[1], "--pid"));

	CHECK(parse(&a, err, ARGV("--no-follow-children", "--", "ls")) == 0);
	CHECK(!a.follow_children);

	CHECK(parse(&a, err, ARGV("--pid", "12", "--pid", "13", "--comm", "python3", "--probes", "syscalls",
				  "--output", "/tmp/x", "--syscall-events", "read,write")) == 0);
	CHECK(a.npids == 2 && a.pids[0] == 12 && a.pids[1] == 13);
	CHECK(a.ncomms == 1 && !strcmp(a.comms[0], "python3"));
	CHECK(a.probes == SCOPE_PROBE_SYSCALLS && !a.follow_children && !a.to_stdout);
	CHECK(bit(&a, "read") && bit(&a, "write") && !bit(&a, "openat"));

	CHECK(parse(&a, err, ARGV("--system-wide", "--counts-only", "--syscall-events", "none")) == 0);
	CHECK(a.system_wide && a.counts_only && !bit(&a, "read"));
	CHECK(parse(&a, err, ARGV("--pid", "1", "--syscall-events", "all")) == 0);
	CHECK(bit(&a, "getppid") && bit(&a, "read"));

	/* A long comm is cut where the kernel cuts it. */
	CHECK(parse(&a, err, ARGV("--comm", "a-very-long-program-name")) == 0);
	CHECK_STR(a.comms[0], "a-very-long-pro");

	CHECK(parse(&a, err, ARGV("--version")) == 0 && a.show_version);
	CHECK(parse(&a, err, ARGV("-h")) == 0 && a.show_help);

	/* Refusals, each with its reason. */
	CHECK(parse(&a, err, ARGV("--stdout")) == -1);
	CHECK(strstr(err, "nothing to trace"));
	CHECK(parse(&a, err, ARGV("--pid", "abc")) == -1 && strstr(err, "--pid"));
	CHECK(parse(&a, err, ARGV("--pid", "0")) == -1);
	CHECK(parse(&a, err, ARGV("--pid", "-5")) == -1);
	CHECK(parse(&a, err, ARGV("--pid", "99999999")) == -1);
	CHECK(parse(&a, err, ARGV("--probes", "gpu", "--pid", "1")) == -1 && strstr(err, "unknown probe set 'gpu'"));
	CHECK(parse(&a, err, ARGV("--probes", "cuda", "--pid", "1")) == 0 && a.probes == SCOPE_PROBE_CUDA);
	/* uprobes are per process: never system-wide */
	CHECK(parse(&a, err, ARGV("--probes", "cuda", "--system-wide")) == -1 && strstr(err, "each target process"));
	CHECK(parse(&a, err, ARGV("--probes", "", "--pid", "1")) == -1);
	CHECK(parse(&a, err, ARGV("--system-wide", "--pid", "1")) == -1 && strstr(err, "cannot be combined"));
	CHECK(parse(&a, err, ARGV("--system-wide", "--follow-children")) == -1);
	CHECK(parse(&a, err, ARGV("--stdout", "--output", "f", "--pid", "1")) == -1 && strstr(err, "exclusive"));
	CHECK(parse(&a, err, ARGV("--counts-only", "--probes", "process", "--pid", "1")) == -1);
	CHECK(parse(&a, err, ARGV("--syscall-events", "read,nosuch", "--pid", "1")) == -1 && strstr(err, "nosuch"));
	CHECK(parse(&a, err, ARGV("--ringbuf-mb", "3", "--pid", "1")) == -1 && strstr(err, "power of two"));
	CHECK(parse(&a, err, ARGV("--ringbuf-mb", "2048", "--pid", "1")) == -1);
	CHECK(parse(&a, err, ARGV("--counts-interval", "x", "--pid", "1")) == -1);
	CHECK(parse(&a, err, ARGV("--bogus")) == -1 && strstr(err, "--bogus"));
	CHECK(parse(&a, err, ARGV("--pid")) == -1 && strstr(err, "needs a value"));
	CHECK(parse(&a, err, ARGV("--pid", "1", "stray")) == -1 && strstr(err, "stray"));
	CHECK(parse(&a, err, ARGV("--")) == -1 && strstr(err, "no command"));
	CHECK(parse(&a, err, ARGV("--comm", "")) == -1);

	/* Batches to a silo. */
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "tcp://127.0.0.1:5557", "--machine-id", "m1",
				  "--collector-id", "local-0", "--task-id", "t.1", "--secret-file", "/run/s")) == 0);
	CHECK(!a.to_stdout && !a.output && !strcmp(a.endpoint, "tcp://127.0.0.1:5557"));
	CHECK(!strcmp(a.machine_id, "m1") && !strcmp(a.collector_id, "local-0") && !strcmp(a.task_id, "t.1"));
	CHECK(a.batch_kb == 256 && a.hwm == 1000 && a.queue_mb == 64);
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "ipc:///tmp/x")) == -1 && strstr(err, "tcp://"));
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "tcp://host")) == -1);
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "tcp://h:1", "--stdout")) == -1 && strstr(err, "exclusive"));
	CHECK(parse(&a, err, ARGV("--system-wide", "--machine-id", "a b")) == -1 && strstr(err, "--machine-id"));
	CHECK(parse(&a, err, ARGV("--system-wide", "--collector-id", "012345678901234567890123456789012")) == -1);
	CHECK(parse(&a, err, ARGV("--system-wide", "--machine-id", "0123456789abcdef0123456789abcdef")) == 0);
	CHECK(parse(&a, err, ARGV("--system-wide", "--batch-kb", "2")) == -1);
	CHECK(parse(&a, err, ARGV("--system-wide", "--hwm", "0")) == -1);

	/* --final-file: batches only, a non-empty name; absent unless given. */
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "tcp://h:1")) == 0 && !a.final_file);
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "tcp://h:1", "--final-file", "/run/scope/c1.final",
				  "--die-with-parent")) == 0);
	CHECK(a.final_file && !strcmp(a.final_file, "/run/scope/c1.final") && a.die_with_parent);
	CHECK(parse(&a, err, ARGV("--final-file", "rel.json", "--endpoint", "tcp://h:1", "--", "ls")) == 0);
	CHECK(a.final_file && !strcmp(a.final_file, "rel.json") && a.command);
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "tcp://h:1", "--final-file", "")) == -1);
	CHECK_STR(err, "--final-file needs a file name");
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "tcp://h:1", "--final-file")) == -1 &&
	      strstr(err, "needs a value"));
	CHECK(parse(&a, err, ARGV("--system-wide", "--final-file", "/tmp/f")) == -1 && strstr(err, "needs --endpoint"));
	CHECK(parse(&a, err, ARGV("--system-wide", "--stdout", "--final-file", "/tmp/f")) == -1 &&
	      strstr(err, "needs --endpoint"));
	CHECK(parse(&a, err, ARGV("--system-wide", "--output", "/tmp/o", "--final-file", "/tmp/f")) == -1 &&
	      strstr(err, "needs --endpoint"));
	static char long_name[PATH_MAX];
	memset(long_name, 'a', sizeof(long_name) - 1);
	CHECK(parse(&a, err, ARGV("--system-wide", "--endpoint", "tcp://h:1", "--final-file", long_name)) == -1 &&
	      strstr(err, "too long"));
	/* --help and --version need nothing else */
	CHECK(parse(&a, err, ARGV("--final-file", "/tmp/f", "--help")) == 0 && a.show_help);
	char *usage = NULL;
	size_t usage_len = 0;
	FILE *m = open_memstream(&usage, &usage_len);
	scope_args_usage(m);
	fclose(m);
	CHECK(usage && strstr(usage, "--final-file PATH"));
	free(usage);
	CHECK_DONE();
}
