// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The sending side, shaped like collector-native/src/sender.c: it connects (the silo binds), sets
 * the collector's SNDHWM and SNDBUF, and hands each batch to zmq_send, which copies it. Unlike the
 * collector it sends blocking and has no queue of its own, so that what the pattern does with a
 * full pipe is what gets measured: PUSH waits, PUB drops.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "common.h"

int run_sender(const struct cfg *c, const char *endpoint, struct send_result *r)
{
	memset(r, 0, sizeof(*r));
	uint8_t *msg = malloc(c->size);
	if (!msg)
		return r->err = ENOMEM;
	/* bytes that vary, so that nothing on the way could shortcut them */
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < c->size; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		msg[i] = x;
	}
	void *ctx = zmq_ctx_new();
	void *s = ctx ? zmq_socket(ctx, c->pat == PAT_PUSH ? ZMQ_PUSH : ZMQ_PUB) : NULL;
	if (!s)
		return r->err = errno;
	zmq_setsockopt(s, ZMQ_SNDHWM, &c->sndhwm, sizeof(c->sndhwm));
	zmq_setsockopt(s, ZMQ_SNDBUF, &c->sndbuf, sizeof(c->sndbuf));
	if (zmq_connect(s, endpoint))
		return r->err = errno;

	/* No handshake first: a collector starts sending the moment it is up, and what PUB does
	 * with messages sent before the subscriber's subscription arrives is part of the result. */
	double cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	double t0 = now_ns(CLOCK_MONOTONIC), end = t0 + c->seconds * 1e9, t = t0;
	uint64_t seq = 0;
	do {
		memcpy(msg, &seq, sizeof(seq)); /* little-endian, as the batch header's sequence */
		if (zmq_send(s, msg, c->size, 0) < 0) {
			if (errno == EINTR)
				continue;
			return r->err = errno;
		}
		seq++;
		t = now_ns(CLOCK_MONOTONIC);
	} while (t < end);
	r->sent = seq;
	r->send_ns = t - t0;

	/* Linger until everything queued has left: a message lost here would be ours, not the
	 * pattern's. The I/O thread's work to push it out is part of the sender's CPU. */
	int linger = -1;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(s);
	zmq_ctx_term(ctx);
	r->drained_ns = now_ns(CLOCK_MONOTONIC) - t0;
	r->cpu_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	free(msg);
	return 0;
}
