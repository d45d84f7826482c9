// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The receiving side, shaped like the silo's ingest loop (IngestService.cs): it binds, with the
 * silo's small RCVHWM and RCVBUF, and takes one message at a time. Each message's first 8 bytes
 * are its sequence number, so loss is counted exactly: before the first message received (PUB's
 * late subscription), in gaps, and at the tail. The slow variant hashes every byte (FNV-1a, a
 * serial dependency the compiler cannot vectorise: a fixed cost per byte, like a decoder's).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "common.h"

#define IDLE_MS 300     /* after the sender is done: this long without a message ends the run */
#define GIVE_UP_S 60    /* the sender never reported: something is wrong */

static uint64_t fnv1a(const uint8_t *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

int run_receiver(const struct cfg *c, int ready_fd, int ctl_fd, struct recv_result *r)
{
	char ep[256] = "";
	size_t eplen = sizeof(ep);
	memset(r, 0, sizeof(*r));
	void *ctx = zmq_ctx_new();
	void *s = ctx ? zmq_socket(ctx, c->pat == PAT_PUSH ? ZMQ_PULL : ZMQ_SUB) : NULL;
	if (!s)
		goto fail;
	zmq_setsockopt(s, ZMQ_RCVHWM, &c->rcvhwm, sizeof(c->rcvhwm));
	zmq_setsockopt(s, ZMQ_RCVBUF, &c->rcvbuf, sizeof(c->rcvbuf));
	if (c->pat == PAT_PUB && zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0))
		goto fail;
	if (zmq_bind(s, "tcp://127.0.0.1:*") || zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &eplen))
		goto fail;
	if (write(ready_fd, ep, sizeof(ep)) != sizeof(ep))
		goto fail;

	zmq_pollitem_t items[2] = {
		{ .socket = s, .events = ZMQ_POLLIN },
		{ .fd = ctl_fd, .events = ZMQ_POLLIN },
	};
	bool done = false, any = false;
	uint64_t sent = 0, next = 0, h = 0xcbf29ce484222325ull;
	double cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = now_ns(CLOCK_MONOTONIC), t_first = 0;
	double t_last = 0;
	zmq_msg_t m;
	zmq_msg_init(&m);
	for (;;) {
		int n = zmq_poll(items, done ? 1 : 2, done ? IDLE_MS : 1000);
		if (n < 0 && errno != EINTR)
			goto fail;
		if (n == 0 && (done || now_ns(CLOCK_MONOTONIC) - t0 > GIVE_UP_S * 1e9))
			break; /* idle after the sender finished: the rest was dropped */
		if (!done && (items[1].revents & ZMQ_POLLIN)) {
			if (read(ctl_fd, &sent, sizeof(sent)) != sizeof(sent))
				goto fail;
			done = true;
			if (sent == 0 || (any && r->max_seq + 1 >= sent))
				break;
		}
		while (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) >= 0) {
			const uint8_t *p = zmq_msg_data(&m);
			size_t len = zmq_msg_size(&m);
			uint64_t seq;
			if (len < sizeof(seq) || len != c->size)
				goto fail;
			memcpy(&seq, p, sizeof(seq));
			t_last = now_ns(CLOCK_MONOTONIC);
			if (!any) {
				any = true;
				t_first = t_last;
				r->first_seq = seq;
			} else if (seq > next) {
				r->gaps += seq - next;
			} else if (seq < next) {
				r->disordered++;
			}
			if (seq >= next)
				next = seq + 1;
			if (seq > r->max_seq)
				r->max_seq = seq;
			r->received++;
			if (c->slow)
				h = fnv1a(p, len, h);
			if (done && r->max_seq + 1 >= sent)
				break;
		}
		if (done && any && r->max_seq + 1 >= sent)
			break;
	}
	if (!done)
		goto fail;
	/* the idle wait at the end sleeps in poll: it adds no CPU */
	r->cpu_ns = now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	zmq_msg_close(&m);
	r->span_ns = t_last - t_first;
	r->sink = h;
	zmq_close(s);
	zmq_ctx_term(ctx);
	return 0;
fail:
	r->err = errno ? errno : EIO;
	if (!ep[0])
		(void)!write(ready_fd, ep, sizeof(ep)); /* an empty endpoint: the parent stops */
	return r->err;
}
