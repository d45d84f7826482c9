/* zmqbench: one sender process and one receiver process joined by ZeroMQ over loopback TCP. */
#ifndef ZB_COMMON_H
#define ZB_COMMON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum pattern {
	PAT_PUSH, /* PUSH/PULL, as SCOPE sends batches: a full pipe blocks the sender */
	PAT_PUB,  /* PUB/SUB: a full pipe drops the message, silently */
};

struct cfg {
	enum pattern pat;
	size_t size;      /* bytes a message (a batch) */
	bool slow;        /* the receiver hashes every byte of every message */
	double seconds;   /* how long the sender offers messages */
	int send_cpu, recv_cpu;
	int sndhwm, sndbuf; /* the collector's settings (sender.c, --hwm default) */
	int rcvhwm, rcvbuf; /* the silo's (IngestService.cs) */
};

struct send_result {
	int err;
	uint64_t sent;      /* zmq_send calls that succeeded; sequence numbers 0 .. sent-1 */
	double send_ns;     /* from the first send to the last */
	double drained_ns;  /* from the first send until the queue had left (close returned) */
	double cpu_ns;      /* process CPU, ZeroMQ's I/O thread included, until the queue drained */
};

struct recv_result {
	int err;
	uint64_t received;
	uint64_t first_seq;   /* everything before it was lost before the subscription took */
	uint64_t max_seq;
	uint64_t gaps;        /* sequence numbers skipped after the first message */
	uint64_t disordered;  /* a number at or below one already seen: never expected */
	double span_ns;       /* from the first message received to the last */
	double cpu_ns;
	uint64_t sink;        /* the hash of the slow receiver's work, so it cannot be optimised out */
};

static inline double now_ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int pin_to(int cpu);
int run_sender(const struct cfg *c, const char *endpoint, struct send_result *r);
/* Binds, writes the endpoint to ready_fd, receives until the sender's count arrives on ctl_fd and
 * the last message is in (or nothing came for a while). */
int run_receiver(const struct cfg *c, int ready_fd, int ctl_fd, struct recv_result *r);
#endif
