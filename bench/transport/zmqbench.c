// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * zmqbench -p push|pub -s BYTES [-w] [-d SECONDS] [-S CPU] [-R CPU] [-h SNDHWM] [-r RCVHWM]
 *
 * One run of ZeroMQ over tcp://127.0.0.1, a receiver process bound and a sender process connected
 * to it, each pinned to its own CPU (before its ZeroMQ context exists, so the I/O threads are
 * pinned with it). The sender offers messages of BYTES for SECONDS as fast as the socket takes
 * them; -w makes the receiver hash every byte; -h and -r replace the collector's SNDHWM (1000)
 * and the silo's RCVHWM (16). Prints one tab-separated row:
 *
 *   run PATTERN BYTES WORK SENT RECEIVED LOST_START LOST_LATER DISORDERED SENDER_MSG/S
 *       DELIVERED_MSG/S DELIVERED_MB/S DELIVERED_EV/S SENDER_CPU_NS/EV RECEIVER_CPU_NS/EV
 *
 * SENDER_MSG/S is messages sent over the time from the first send until the sender's queue had
 * left: the first SNDHWM messages are accepted at once, so sent / sending time alone would credit
 * PUSH with a rate the receiver never took. DELIVERED is received over first to last received.
 * Events are 120-byte syscall records: BYTES / 120 of them a message. Sender CPU is per event
 * sent, receiver CPU per event received. Exits 1 when either side fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "common.h"

#define EVENT_BYTES 120 /* struct scope_syscall */

static void die(const char *what)
{
	fprintf(stderr, "zmqbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

int pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int read_full(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k <= 0) {
			if (k < 0 && errno == EINTR)
				continue;
			return -1;
		}
		got += k;
	}
	return 0;
}

static pid_t spawn(int (*body)(void *), void *arg)
{
	pid_t pid = fork();
	if (pid == 0) {
		/* if we are killed (the alarm below), no child outlives us */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(body(arg) ? 1 : 0);
	}
	return pid;
}

struct side {
	const struct cfg *c;
	int ready_fd, ctl_fd, res_fd;
	const char *endpoint;
};

static int receiver_main(void *a)
{
	struct side *s = a;
	struct recv_result r;
	if (pin_to(s->c->recv_cpu))
		return 1;
	run_receiver(s->c, s->ready_fd, s->ctl_fd, &r);
	return write(s->res_fd, &r, sizeof(r)) != sizeof(r) || r.err;
}

static int sender_main(void *a)
{
	struct side *s = a;
	struct send_result r;
	if (pin_to(s->c->send_cpu))
		return 1;
	run_sender(s->c, s->endpoint, &r);
	return write(s->res_fd, &r, sizeof(r)) != sizeof(r) || r.err;
}

static void usage(void)
{
	fprintf(stderr, "usage: zmqbench -p push|pub -s BYTES [-w] [-d SECONDS] [-S CPU] [-R CPU] [-h SNDHWM] [-r RCVHWM]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct cfg c = {
		.pat = PAT_PUSH, .size = 65536, .seconds = 1, .send_cpu = 0, .recv_cpu = 1,
		.sndhwm = 1000, .sndbuf = 256 << 10, .rcvhwm = 16, .rcvbuf = 256 << 10,
	};
	int opt;
	while ((opt = getopt(argc, argv, "p:s:wd:S:R:h:r:")) != -1) {
		switch (opt) {
		case 'p':
			if (!strcmp(optarg, "push"))
				c.pat = PAT_PUSH;
			else if (!strcmp(optarg, "pub"))
				c.pat = PAT_PUB;
			else
				usage();
			break;
		case 's': c.size = strtoul(optarg, NULL, 0); break;
		case 'w': c.slow = true; break;
		case 'd': c.seconds = atof(optarg); break;
		case 'S': c.send_cpu = atoi(optarg); break;
		case 'R': c.recv_cpu = atoi(optarg); break;
		case 'h': c.sndhwm = atoi(optarg); break;
		case 'r': c.rcvhwm = atoi(optarg); break;
		default: usage();
		}
	}
	if (c.size < 8 || c.seconds <= 0)
		usage();

	int ready[2], ctl[2], rres[2], sres[2];
	if (pipe(ready) || pipe(ctl) || pipe(rres) || pipe(sres))
		die("pipe");
	/* A child that hangs would hang the script: SIGALRM ends us, and the children see EOF. */
	alarm((unsigned)c.seconds + 60);

	struct side rs = { &c, ready[1], ctl[0], rres[1], NULL };
	pid_t rpid = spawn(receiver_main, &rs);
	if (rpid < 0)
		die("fork");
	/* Only the children write these: a child that dies is then EOF here, not a hang. */
	close(ready[1]);
	close(rres[1]);
	close(ctl[0]);
	char ep[256];
	if (read_full(ready[0], ep, sizeof(ep)) || !ep[0]) {
		errno = EIO;
		die("receiver did not start (CPU pinning or bind failed)");
	}

	struct side ss = { &c, -1, -1, sres[1], ep };
	pid_t spid = spawn(sender_main, &ss);
	if (spid < 0)
		die("fork");
	close(sres[1]);
	struct send_result sr;
	int st;
	if (read_full(sres[0], &sr, sizeof(sr)) || sr.err) {
		errno = sr.err ? sr.err : EIO;
		kill(rpid, SIGKILL);
		die("sender");
	}
	waitpid(spid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		kill(rpid, SIGKILL);
		errno = EIO;
		die("sender exited badly");
	}
	/* The sender has drained its queue: now the receiver knows what to wait for. */
	if (write(ctl[1], &sr.sent, sizeof(sr.sent)) != sizeof(sr.sent))
		die("write to receiver");
	struct recv_result rr;
	if (read_full(rres[0], &rr, sizeof(rr)) || rr.err) {
		errno = rr.err ? rr.err : EIO;
		kill(rpid, SIGKILL);
		die("receiver");
	}
	waitpid(rpid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		errno = EIO;
		die("receiver exited badly");
	}

	uint64_t lost_start = rr.received ? rr.first_seq : sr.sent;
	uint64_t lost_later = sr.sent - rr.received - lost_start;
	double epm = (double)(c.size / EVENT_BYTES);
	double offered = sr.sent / (sr.drained_ns / 1e9);
	double delivered = rr.span_ns > 0 ? (rr.received - 1) / (rr.span_ns / 1e9) : 0;
	printf("run\t%s\t%zu\t%s\t%llu\t%llu\t%llu\t%llu\t%llu\t%.0f\t%.0f\t%.1f\t%.0f\t%.1f\t%.1f\n",
	       c.pat == PAT_PUSH ? "push" : "pub", c.size, c.slow ? "slow" : "fast",
	       (unsigned long long)sr.sent, (unsigned long long)rr.received,
	       (unsigned long long)lost_start, (unsigned long long)lost_later,
	       (unsigned long long)rr.disordered, offered, delivered, delivered * c.size / 1e6,
	       delivered * epm, sr.cpu_ns / (sr.sent * epm),
	       rr.received ? rr.cpu_ns / (rr.received * epm) : 0.0);
	return 0;
}
