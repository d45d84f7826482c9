/* Which (process, address) pairs the collector has already named on the wire: a symbol record goes
 * out once per process and address, before the first stack that holds it. */
#ifndef SCOPE_ADDR_SET_H
#define SCOPE_ADDR_SET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scope_addr_set;

struct scope_addr_set *scope_addr_set_new(void);
void scope_addr_set_free(struct scope_addr_set *s);
/* Adds the pair; true when it was not there before (or could not be stored: then say it again). */
bool scope_addr_set_add(struct scope_addr_set *s, uint32_t pid, uint64_t start_ns, uint64_t addr);
/* Forgets a process's pairs (it exited). */
void scope_addr_set_forget(struct scope_addr_set *s, uint32_t pid);
#endif
