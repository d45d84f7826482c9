#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "link_closer.h"

struct item {
	struct item *next;
	int fd;                /* or -1 */
	struct bpf_link *link; /* or NULL */
};

/* Closers waiting at the same time share grace periods: several threads drain a queue of exited
 * processes' links several times faster than one. */
#define CLOSER_THREADS 8

struct scope_link_closer {
	pthread_t threads[CLOSER_THREADS];
	unsigned nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *head, *tail;
	bool stopping;
};

static void close_item(struct item *it)
{
	if (it->link)
		bpf_link__destroy(it->link);
	if (it->fd >= 0)
		close(it->fd);
	free(it);
}

static void *run(void *arg)
{
	struct scope_link_closer *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->head && !c->stopping)
			pthread_cond_wait(&c->cv, &c->mu);
		struct item *it = c->head;
		if (!it)
			break; /* stopping, and nothing left */
		c->head = it->next;
		if (!c->head)
			c->tail = NULL;
		pthread_mutex_unlock(&c->mu);
		close_item(it);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct scope_link_closer *scope_link_closer_start(void)
{
	struct scope_link_closer *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	while (c->nthreads < CLOSER_THREADS && pthread_create(&c->threads[c->nthreads], NULL, run, c) == 0)
		c->nthreads++;
	if (!c->nthreads) {
		free(c);
		return NULL;
	}
	return c;
}

static void push(struct scope_link_closer *c, int fd, struct bpf_link *l)
{
	struct item *it = malloc(sizeof(*it));
	if (!it || !c) {
		struct item now = { NULL, fd, l };
		if (it)
			free(it);
		if (now.link)
			bpf_link__destroy(now.link);
		if (now.fd >= 0)
			close(now.fd);
		return;
	}
	*it = (struct item){ NULL, fd, l };
	pthread_mutex_lock(&c->mu);
	if (c->tail)
		c->tail->next = it;
	else
		c->head = it;
	c->tail = it;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void scope_link_closer_push_fd(struct scope_link_closer *c, int fd)
{
	push(c, fd, NULL);
}

void scope_link_closer_push_link(struct scope_link_closer *c, struct bpf_link *l)
{
	push(c, -1, l);
}

void scope_link_closer_stop(struct scope_link_closer *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	for (unsigned i = 0; i < c->nthreads; i++)
		pthread_join(c->threads[i], NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
