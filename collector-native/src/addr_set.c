#include <stdlib.h>

#include "addr_set.h"

struct entry {
	uint64_t addr; /* 0: empty (no frame is at address 0) */
	uint64_t start_ns;
	uint32_t pid;
	bool dead; /* forgotten: skipped by lookups, reused by the next rebuild */
};

struct scope_addr_set {
	struct entry *e;
	size_t cap, used;
};

struct scope_addr_set *scope_addr_set_new(void)
{
	struct scope_addr_set *s = calloc(1, sizeof(*s));
	if (s) {
		s->cap = 4096;
		s->e = calloc(s->cap, sizeof(*s->e));
		if (!s->e) {
			free(s);
			return NULL;
		}
	}
	return s;
}

void scope_addr_set_free(struct scope_addr_set *s)
{
	if (s)
		free(s->e);
	free(s);
}

static size_t slot(uint32_t pid, uint64_t start, uint64_t addr, size_t cap)
{
	uint64_t h = (addr ^ (start * 0xff51afd7ed558ccdull) ^ ((uint64_t)pid << 40)) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (cap - 1);
}

/* Returns the entry for the pair, or the empty slot where it would go. */
static struct entry *find(struct entry *e, size_t cap, uint32_t pid, uint64_t start, uint64_t addr)
{
	for (size_t i = slot(pid, start, addr, cap);; i = (i + 1) & (cap - 1))
		if (!e[i].addr || (!e[i].dead && e[i].pid == pid && e[i].start_ns == start && e[i].addr == addr))
			return &e[i];
}

static bool rebuild(struct scope_addr_set *s, size_t cap)
{
	struct entry *ne = calloc(cap, sizeof(*ne));
	if (!ne)
		return false;
	size_t used = 0;
	for (size_t i = 0; i < s->cap; i++) {
		struct entry *o = &s->e[i];
		if (o->addr && !o->dead) {
			*find(ne, cap, o->pid, o->start_ns, o->addr) = *o;
			used++;
		}
	}
	free(s->e);
	s->e = ne;
	s->cap = cap;
	s->used = used;
	return true;
}

bool scope_addr_set_add(struct scope_addr_set *s, uint32_t pid, uint64_t start_ns, uint64_t addr)
{
	if (!s || !addr)
		return true;
	if ((s->used + 1) * 2 > s->cap && !rebuild(s, s->cap * 2))
		return true;
	struct entry *e = find(s->e, s->cap, pid, start_ns, addr);
	if (e->addr)
		return false;
	*e = (struct entry){ addr, start_ns, pid, false };
	s->used++;
	return true;
}

void scope_addr_set_forget(struct scope_addr_set *s, uint32_t pid)
{
	if (!s)
		return;
	bool any = false;
	for (size_t i = 0; i < s->cap; i++)
		if (s->e[i].addr && s->e[i].pid == pid)
			any = s->e[i].dead = true;
	if (any)
		rebuild(s, s->cap);
}
