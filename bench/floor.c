// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor [--classic]: attaches the empty syscall probes of floor.bpf.c (tp_btf by default, classic
 * tracepoints with --classic), says "attached" on stdout and holds them until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel;
	bool classic = argc > 1 && strcmp(argv[1], "--classic") == 0;
	int err;

	if (argc > 2 || (argc == 2 && !classic)) {
		fprintf(stderr, "usage: %s [--classic]\n", argv[0]);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object\n");
		return 1;
	}
	/* Only one kind at a time: two attached would measure their sum. */
	bpf_program__set_autoload(skel->progs.floor_btf_enter, !classic);
	bpf_program__set_autoload(skel->progs.floor_btf_exit, !classic);
	bpf_program__set_autoload(skel->progs.floor_tp_enter, classic);
	bpf_program__set_autoload(skel->progs.floor_tp_exit, classic);

	err = floor_bpf__load(skel);
	if (!err)
		err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: cannot attach: %s\n", strerror(-err));
		floor_bpf__destroy(skel);
		return 1;
	}
	printf("attached %s\n", classic ? "tracepoint" : "tp_btf");
	fflush(stdout);

	while (!exiting)
		pause();
	floor_bpf__destroy(skel);
	return 0;
}
