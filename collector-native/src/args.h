/* Command-line options of scope-collector (docs/collector.md). Parsing is pure: no I/O, testable. */
#ifndef SCOPE_ARGS_H
#define SCOPE_ARGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scope_events.h"

#define SCOPE_PROBE_PROCESS 0x1u
#define SCOPE_PROBE_SYSCALLS 0x2u
#define SCOPE_PROBE_CUDA 0x4u
#define SCOPE_PROBE_PYTHON 0x8u

#define SCOPE_MAX_PIDS 64
#define SCOPE_MAX_COMMS 64

/* The syscalls reported in full unless --syscall-events says otherwise. */
#define SCOPE_DEFAULT_SYSCALL_EVENTS \
	"openat,execve,read,write,pread64,pwrite64,connect,accept,accept4,clone,clone3,fork,vfork," \
	"exit_group," \
	"mmap,munmap,copy_file_range,sendfile"

struct scope_args {
	unsigned probes;
	int pids[SCOPE_MAX_PIDS];
	int npids;
	char comms[SCOPE_MAX_COMMS][SCOPE_COMM_LEN];
	int ncomms;
	bool follow_children;
	bool system_wide;
	bool counts_only;
	bool no_cuda_stacks;
	unsigned python_hz;
	bool to_stdout;
	const char *output;
	/* Batches to a silo instead of JSON lines. */
	const char *endpoint;
	const char *machine_id;    /* default: derived from /etc/machine-id */
	const char *collector_id;  /* default: "local" */
	const char *task_id;       /* default: "" */
	const char *secret_file;   /* hex; else the SCOPE_COLLECTOR_SECRET environment variable */
	unsigned batch_kb;
	unsigned hwm;
	unsigned queue_mb;
	bool die_with_parent;      /* a supervised collector must not outlive its silo */
	const char *final_file;    /* with --endpoint: where the record indices ended, written at stop */
	const char *btf_path;
	unsigned ringbuf_mb;
	unsigned counts_interval_s;
	uint64_t detail_mask[SCOPE_SYSCALL_MAX / 64];
	char **command; /* NULL-terminated, after `--` */
	bool show_version;
	bool show_help;
};

/* Returns 0, or -1 with a one-line reason in err. */
int scope_args_parse(int argc, char **argv, struct scope_args *a, char *err, size_t errlen);
/* Decodes a hex secret (whitespace around it ignored) into out; returns its length, or -1. */
int scope_secret_parse(const char *hex, uint8_t *out, size_t max);
/* Fills mask from "name,name", "all" or "none"; -1 and err on an unknown name. */
int scope_syscall_set_parse(const char *list, uint64_t *mask, char *err, size_t errlen);
void scope_args_usage(FILE *f);
#endif
