#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "scope_maps.h"
#include "syscall_table.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int scope_secret_parse(const char *hex, uint8_t *out, size_t max)
{
	while (*hex == ' ' || *hex == '\n' || *hex == '\t' || *hex == '\r')
		hex++;
	size_t n = 0;
	while (hex[0] && hex[1] && strchr("0123456789abcdefABCDEF", hex[0]) && strchr("0123456789abcdefABCDEF", hex[1])) {
		if (n == max)
			return -1;
		char byte[3] = { hex[0], hex[1], 0 };
		out[n++] = (uint8_t)strtoul(byte, NULL, 16);
		hex += 2;
	}
	while (*hex == ' ' || *hex == '\n' || *hex == '\t' || *hex == '\r')
		hex++;
	return *hex ? -1 : (int)n;
}

int scope_syscall_set_parse(const char *list, uint64_t *mask, char *err, size_t errlen)
{
	memset(mask, 0, SCOPE_SYSCALL_MAX / 8);
	if (strcmp(list, "none") == 0)
		return 0;
	if (strcmp(list, "all") == 0) {
		memset(mask, 0xff, SCOPE_SYSCALL_MAX / 8);
		return 0;
	}
	char buf[1024];
	if (strlen(list) >= sizeof(buf))
		return fail(err, errlen, "--syscall-events list too long");
	strcpy(buf, list);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int nr = scope_syscall_nr(t);
		if (nr < 0 || nr >= SCOPE_SYSCALL_MAX)
			return fail(err, errlen, "unknown syscall '%s' in --syscall-events", t);
		mask[nr / 64] |= 1ull << (nr % 64);
	}
	return 0;
}

static int parse_probes(const char *s, unsigned *probes, char *err, size_t errlen)
{
	char buf[256];
	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "--probes list too long");
	strcpy(buf, s);
	*probes = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "process") == 0)
			*probes |= SCOPE_PROBE_PROCESS;
		else if (strcmp(t, "syscalls") == 0)
			*probes |= SCOPE_PROBE_SYSCALLS;
		else if (strcmp(t, "cuda") == 0)
			*probes |= SCOPE_PROBE_CUDA;
		else if (strcmp(t, "python") == 0)
			*probes |= SCOPE_PROBE_PYTHON;
		else
			return fail(err, errlen, "unknown probe set '%s' (known: process, syscalls, cuda, python)", t);
	}
	if (!*probes)
		return fail(err, errlen, "--probes needs at least one probe set");
	return 0;
}

enum {
	OPT_PROBES = 1000, OPT_PID, OPT_COMM, OPT_FOLLOW, OPT_SYSTEM, OPT_COUNTS_ONLY, OPT_STDOUT,
	OPT_OUTPUT, OPT_VERSION, OPT_NO_FOLLOW, OPT_ENDPOINT, OPT_MACHINE_ID, OPT_COLLECTOR_ID, OPT_TASK_ID,
	OPT_SECRET_FILE, OPT_BATCH_KB, OPT_HWM, OPT_QUEUE_MB, OPT_DIE_WITH_PARENT, OPT_BTF, OPT_RINGBUF, OPT_COUNTS_INTERVAL, OPT_SYSCALL_EVENTS,
	OPT_NO_CUDA_STACKS, OPT_PYTHON_HZ, OPT_FINAL_FILE,
};

static const struct option options[] = {
	{ "probes", required_argument, NULL, OPT_PROBES },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "follow-children", no_argument, NULL, OPT_FOLLOW },
	{ "no-follow-children", no_argument, NULL, OPT_NO_FOLLOW },
	{ "system-wide", no_argument, NULL, OPT_SYSTEM },
	{ "counts-only", no_argument, NULL, OPT_COUNTS_ONLY },
	{ "stdout", no_argument, NULL, OPT_STDOUT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "machine-id", required_argument, NULL, OPT_MACHINE_ID },
	{ "collector-id", required_argument, NULL, OPT_COLLECTOR_ID },
	{ "task-id", required_argument, NULL, OPT_TASK_ID },
	{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
	{ "batch-kb", required_argument, NULL, OPT_BATCH_KB },
	{ "hwm", required_argument, NULL, OPT_HWM },
	{ "queue-mb", required_argument, NULL, OPT_QUEUE_MB },
	{ "die-with-parent", no_argument, NULL, OPT_DIE_WITH_PARENT },
	{ "final-file", required_argument, NULL, OPT_FINAL_FILE },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "ringbuf-mb", required_argument, NULL, OPT_RINGBUF },
	{ "counts-interval", required_argument, NULL, OPT_COUNTS_INTERVAL },
	{ "syscall-events", required_argument, NULL, OPT_SYSCALL_EVENTS },
	{ "no-cuda-stacks", no_argument, NULL, OPT_NO_CUDA_STACKS },
	{ "python-hz", required_argument, NULL, OPT_PYTHON_HZ },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

void scope_args_usage(FILE *f)
{
	fputs("usage: scope-collector [OPTIONS] [-- COMMAND [ARGS...]]\n"
	      "\n"
	      "Traces processes and their syscalls with eBPF and writes one JSON object per line.\n"
	      "\n"
	      "What to trace (at least one, or --system-wide):\n"
	      "  -- COMMAND ARGS       start COMMAND and trace it from its first instruction;\n"
	      "                        exit with its exit status\n"
	      "  --pid N               a running process (repeatable)\n"
	      "  --comm NAME           processes whose command name is NAME, now or later (repeatable;\n"
	      "                        the kernel keeps the first 15 bytes of a name)\n"
	      "  --follow-children     also trace processes the targets fork (the default for a\n"
	      "                        command; --no-follow-children turns it off)\n"
	      "  --system-wide         every process but the collector\n"
	      "\n"
	      "What to record:\n"
	      "  --probes LIST         process, syscalls, cuda, python (default: process,syscalls)\n"
	      "  --counts-only         count syscalls at entry only: no latency, no full records\n"
	      "  --syscall-events LIST syscalls reported one by one with decoded arguments, or all,\n"
	      "                        or none (default: " SCOPE_DEFAULT_SYSCALL_EVENTS ")\n"
	      "  --counts-interval S   also report live processes' totals every S seconds (default 10,\n"
	      "                        0 = only at exit)\n"
	      "  --no-cuda-stacks      no user call stacks on CUDA allocations and launches\n"
	      "  --python-hz N         Python samples per second of CPU time (default 99, 1-10000)\n"
	      "\n"
	      "Where to write:\n"
	      "  --stdout              JSON lines to standard output (the default)\n"
	      "  --output FILE         JSON lines to FILE\n"
	      "  --endpoint tcp://H:P  batches over ZeroMQ to a silo, signed with the secret from\n"
	      "                        --secret-file F or $SCOPE_COLLECTOR_SECRET (hex, 16-64 bytes)\n"
	      "  --machine-id ID, --collector-id ID, --task-id ID   identify the batches, up to 32\n"
	      "                        characters (default:\n"
	      "                        an HMAC of /etc/machine-id, \"local\", none)\n"
	      "  --batch-kb N          largest batch payload (default 256)\n"
	      "  --hwm N, --queue-mb N batches ZeroMQ holds (default 1000), then our own queue\n"
	      "                        (default 64 MiB); beyond both, records are dropped and counted\n"
	      "  --final-file PATH     with --endpoint: at stop, after the last batch, replace PATH\n"
	      "                        (atomically) with one JSON line saying where the records ended\n"
	      "\n"
	      "Other:\n"
	      "  --ringbuf-mb N        ring buffer size in MiB, a power of two (default 8)\n"
	      "  --die-with-parent     stop (as on SIGTERM) when the process that started us dies\n"
	      "  --btf PATH            kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
	      "  --version, -h/--help\n"
	      "\n"
	      "Exit status: the command's, with -- COMMAND; otherwise 0, or 1 runtime error, 2 bad\n"
	      "arguments, 3 missing privileges, 4 missing BTF, 5 no such --pid, 6 kernel refused a probe.\n",
	      f);
}

int scope_args_parse(int argc, char **argv, struct scope_args *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->probes = SCOPE_PROBE_PROCESS | SCOPE_PROBE_SYSCALLS;
	a->ringbuf_mb = 8;
	a->counts_interval_s = 10;
	a->python_hz = 99;
	a->collector_id = "local";
	a->task_id = "";
	a->batch_kb = 256;
	a->hwm = 1000;
	a->queue_mb = 64;
	if (scope_syscall_set_parse(SCOPE_DEFAULT_SYSCALL_EVENTS, a->detail_mask, err, errlen))
		return -1;

	int opt, follow = -1;
	unsigned long v;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_PROBES:
			if (parse_probes(optarg, &a->probes, err, errlen))
				return -1;
			break;
		case OPT_PID:
			if (parse_uint(optarg, SCOPE_PID_MAX - 1, &v) || v == 0)
				return fail(err, errlen, "--pid needs a process id between 1 and %u, not '%s'",
					    SCOPE_PID_MAX - 1, optarg);
			if (a->npids == SCOPE_MAX_PIDS)
				return fail(err, errlen, "at most %d --pid options", SCOPE_MAX_PIDS);
			a->pids[a->npids++] = (int)v;
			break;
		case OPT_COMM:
			if (!*optarg)
				return fail(err, errlen, "--comm needs a non-empty name");
			if (a->ncomms == SCOPE_MAX_COMMS)
				return fail(err, errlen, "at most %d --comm options", SCOPE_MAX_COMMS);
			/* The kernel stores 15 bytes; match what it will report. */
			snprintf(a->comms[a->ncomms++], SCOPE_COMM_LEN, "%s", optarg);
			break;
		case OPT_FOLLOW: follow = 1; break;
		case OPT_NO_FOLLOW: follow = 0; break;
		case OPT_SYSTEM: a->system_wide = true; break;
		case OPT_COUNTS_ONLY: a->counts_only = true; break;
		case OPT_NO_CUDA_STACKS: a->no_cuda_stacks = true; break;
		case OPT_PYTHON_HZ:
			if (parse_uint(optarg, 10000, &v) || v == 0)
				return fail(err, errlen, "--python-hz needs a rate from 1 to 10000 samples a second, not '%s'", optarg);
			a->python_hz = (unsigned)v;
			break;
		case OPT_STDOUT: a->to_stdout = true; break;
		case OPT_OUTPUT:
			if (!*optarg)
				return fail(err, errlen, "--output needs a file name");
			a->output = optarg;
			break;
		case OPT_VERSION: a->show_version = true; break;
		case OPT_ENDPOINT:
			/* libzmq's ipc:// is a Unix socket and NetMQ's is not: only TCP reaches the silo. */
			if (strncmp(optarg, "tcp://", 6) != 0 || !strchr(optarg + 6, ':'))
				return fail(err, errlen, "--endpoint needs tcp://HOST:PORT, not '%s'", optarg);
			a->endpoint = optarg;
			break;
		case OPT_MACHINE_ID:
		case OPT_COLLECTOR_ID:
		case OPT_TASK_ID: {
			const char *name = opt == OPT_MACHINE_ID ? "--machine-id" : opt == OPT_COLLECTOR_ID ? "--collector-id" : "--task-id";
			size_t n = strlen(optarg);
			if (n == 0 || n > SCOPE_ID_LEN)
				return fail(err, errlen, "%s needs 1 to %d characters", name, SCOPE_ID_LEN);
			for (size_t i = 0; i < n; i++)
				if (!(optarg[i] == '-' || optarg[i] == '_' || optarg[i] == '.' ||
				      (optarg[i] >= '0' && optarg[i] <= '9') || (optarg[i] >= 'a' && optarg[i] <= 'z') ||
				      (optarg[i] >= 'A' && optarg[i] <= 'Z')))
					return fail(err, errlen, "%s may hold letters, digits, '-', '_' and '.' only", name);
			if (opt == OPT_MACHINE_ID)
				a->machine_id = optarg;
			else if (opt == OPT_COLLECTOR_ID)
				a->collector_id = optarg;
			else
				a->task_id = optarg;
			break;
		}
		case OPT_SECRET_FILE: a->secret_file = optarg; break;
		case OPT_DIE_WITH_PARENT: a->die_with_parent = true; break;
		case OPT_FINAL_FILE:
			if (!*optarg)
				return fail(err, errlen, "--final-file needs a file name");
			/* PATH.tmp is written first, beside it */
			if (strlen(optarg) > PATH_MAX - 5)
				return fail(err, errlen, "--final-file name too long");
			a->final_file = optarg;
			break;
		case OPT_BATCH_KB:
			if (parse_uint(optarg, 16384, &v) || v < 4)
				return fail(err, errlen, "--batch-kb needs 4 to 16384, not '%s'", optarg);
			a->batch_kb = v;
			break;
		case OPT_HWM:
			if (parse_uint(optarg, 1000000, &v) || v == 0)
				return fail(err, errlen, "--hwm needs 1 to 1000000, not '%s'", optarg);
			a->hwm = v;
			break;
		case OPT_QUEUE_MB:
			if (parse_uint(optarg, 65536, &v))
				return fail(err, errlen, "--queue-mb needs 0 to 65536, not '%s'", optarg);
			a->queue_mb = v;
			break;
		case OPT_BTF: a->btf_path = optarg; break;
		case OPT_RINGBUF:
			if (parse_uint(optarg, 1024, &v) || v == 0 || (v & (v - 1)))
				return fail(err, errlen, "--ringbuf-mb needs a power of two from 1 to 1024, not '%s'", optarg);
			a->ringbuf_mb = v;
			break;
		case OPT_COUNTS_INTERVAL:
			if (parse_uint(optarg, 86400, &v))
				return fail(err, errlen, "--counts-interval needs seconds from 0 to 86400, not '%s'", optarg);
			a->counts_interval_s = v;
			break;
		case OPT_SYSCALL_EVENTS:
			if (scope_syscall_set_parse(optarg, a->detail_mask, err, errlen))
				return -1;
			break;
		case 'h': a->show_help = true; break;
		case '?':
		default:
			if (optopt && optopt < OPT_PROBES)
				return fail(err, errlen, "unknown option '-%c'", optopt);
			if (optopt >= OPT_PROBES)
				return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		/* getopt stops at "--" (consumed) or at the first non-option. */
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail(err, errlen, "unexpected argument '%s' (put the command after --)", argv[optind]);
		a->command = &argv[optind];
	} else if (optind > 1 && strcmp(argv[optind - 1], "--") == 0) {
		return fail(err, errlen, "no command after --");
	}
	if (a->show_version || a->show_help)
		return 0;
	/* A command is traced with everything it starts, like strace -f, unless told otherwise. */
	a->follow_children = follow == 1 || (follow == -1 && a->command);

	bool has_targets = a->npids || a->ncomms || a->command;
	if (a->system_wide && has_targets)
		return fail(err, errlen, "--system-wide traces every process; it cannot be combined with --pid, --comm or a command");
	if (!a->system_wide && !has_targets)
		return fail(err, errlen, "nothing to trace: give -- COMMAND, --pid, --comm or --system-wide");
	if (a->system_wide && follow == 1)
		return fail(err, errlen, "--follow-children has no meaning with --system-wide");
	if (a->to_stdout + !!a->output + !!a->endpoint > 1)
		return fail(err, errlen, "--stdout, --output and --endpoint are exclusive");
	if (a->final_file && !a->endpoint)
		return fail(err, errlen, "--final-file needs --endpoint: it records where the batches ended");
	if (a->counts_only && !(a->probes & SCOPE_PROBE_SYSCALLS))
		return fail(err, errlen, "--counts-only needs the syscalls probe set");
	if (a->system_wide && (a->probes & SCOPE_PROBE_CUDA))
		return fail(err, errlen, "cuda probes attach to each target process (a uprobe costs every process that "
				"hits it): give -- COMMAND, --pid or --comm instead of --system-wide");
	if (a->system_wide && (a->probes & SCOPE_PROBE_PYTHON))
		return fail(err, errlen, "python probes sample chosen processes: give -- COMMAND, --pid or --comm instead "
				"of --system-wide");
	if (!a->output && !a->endpoint)
		a->to_stdout = true;
	return 0;
}
