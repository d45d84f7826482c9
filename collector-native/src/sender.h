/* The ZeroMQ PUSH side: sealed batches go to the silo's PULL socket. A full socket never stalls
 * the ring-buffer reader: batches wait in a bounded queue, and beyond it they are dropped and their
 * records counted (reported in every later batch header as send_drops). */
#ifndef SCOPE_SENDER_H
#define SCOPE_SENDER_H
#include <stddef.h>
#include <stdint.h>

struct scope_queued;

struct scope_sender {
	void *ctx, *sock;
	struct scope_queued *head, *tail;
	size_t queued_bytes, max_queue_bytes;
	uint64_t sent_batches;
	uint64_t dropped_batches, dropped_records;
};

/* hwm: batches ZeroMQ itself holds; queue_bytes: our own queue behind it. */
int scope_sender_open(struct scope_sender *s, const char *endpoint, int hwm, size_t queue_bytes);
/* Sends or queues a copy of the batch; counts it as dropped when both are full. */
void scope_sender_submit(struct scope_sender *s, const void *batch, size_t len, uint32_t records);
/* Moves queued batches into the socket while it takes them. */
void scope_sender_pump(struct scope_sender *s);
size_t scope_sender_queued(const struct scope_sender *s);
/* Gives queued batches up to linger_ms to leave, then closes. Returns how many batches were left. */
size_t scope_sender_close(struct scope_sender *s, int linger_ms);
#endif
