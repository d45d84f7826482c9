#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include "sender.h"

struct scope_queued {
	struct scope_queued *next;
	size_t len;
	uint32_t records;
	unsigned char data[];
};

int scope_sender_open(struct scope_sender *s, const char *endpoint, int hwm, size_t queue_bytes)
{
	memset(s, 0, sizeof(*s));
	s->max_queue_bytes = queue_bytes;
	s->ctx = zmq_ctx_new();
	if (!s->ctx)
		return -errno;
	s->sock = zmq_socket(s->ctx, ZMQ_PUSH);
	if (!s->sock)
		return -errno;
	int linger = 0, reconnect_max = 1000;
	/* Small kernel buffers: what sits in them when a silo dies is lost (and counted as a gap);
	 * batches should wait here instead, where they survive a silo restart. */
	int sndbuf = 256 << 10;
	zmq_setsockopt(s->sock, ZMQ_SNDBUF, &sndbuf, sizeof(sndbuf));
	zmq_setsockopt(s->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof(linger));
	/* Retry every 100 ms at first, backing off to 1 s while the silo is away. */
	zmq_setsockopt(s->sock, ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof(reconnect_max));
	if (zmq_connect(s->sock, endpoint))
		return -errno;
	return 0;
}

static int try_send(struct scope_sender *s, const void *data, size_t len)
{
	for (;;) {
		if (zmq_send(s->sock, data, len, ZMQ_DONTWAIT) >= 0) {
			s->sent_batches++;
			return 0;
		}
		if (errno != EINTR)
			return -errno;
	}
}

void scope_sender_pump(struct scope_sender *s)
{
	while (s->head) {
		struct scope_queued *q = s->head;
		if (try_send(s, q->data, q->len))
			return;
		s->head = q->next;
		if (!s->head)
			s->tail = NULL;
		s->queued_bytes -= q->len;
		free(q);
	}
}

void scope_sender_submit(struct scope_sender *s, const void *batch, size_t len, uint32_t records)
{
	scope_sender_pump(s);
	if (!s->head && try_send(s, batch, len) == 0)
		return;
	struct scope_queued *q = NULL;
	if (s->queued_bytes + len <= s->max_queue_bytes)
		q = malloc(sizeof(*q) + len);
	if (!q) {
		s->dropped_batches++;
		s->dropped_records += records;
		return;
	}
	q->next = NULL;
	q->len = len;
	q->records = records;
	memcpy(q->data, batch, len);
	if (s->tail)
		s->tail->next = q;
	else
		s->head = q;
	s->tail = q;
	s->queued_bytes += len;
}

size_t scope_sender_queued(const struct scope_sender *s)
{
	size_t n = 0;
	for (const struct scope_queued *q = s->head; q; q = q->next)
		n++;
	return n;
}

size_t scope_sender_close(struct scope_sender *s, int linger_ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		scope_sender_pump(s);
		clock_gettime(CLOCK_MONOTONIC, &t);
		long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (!s->head || ms >= linger_ms)
			break;
		struct timespec nap = { 0, 10 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
	size_t left = scope_sender_queued(s);
	while (s->head) {
		struct scope_queued *q = s->head;
		s->head = q->next;
		free(q);
	}
	s->tail = NULL;
	if (s->sock) {
		/* What the socket still holds gets the same grace. */
		zmq_setsockopt(s->sock, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
		zmq_close(s->sock);
	}
	if (s->ctx)
		zmq_ctx_term(s->ctx);
	s->sock = s->ctx = NULL;
	return left;
}
