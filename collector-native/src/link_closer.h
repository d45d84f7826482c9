/* Closes BPF links on threads of their own. Closing a uprobe link waits for an RCU grace period
 * (about 0.1 s here); done on the ring-buffer thread, each exiting CUDA process would stall event
 * delivery, and the next target stopped at exec would wait for its probes that long. */
#ifndef SCOPE_LINK_CLOSER_H
#define SCOPE_LINK_CLOSER_H

struct bpf_link;
struct scope_link_closer;

/* NULL when no thread can be started: the push functions then close at once. */
struct scope_link_closer *scope_link_closer_start(void);
void scope_link_closer_push_fd(struct scope_link_closer *c, int fd);
void scope_link_closer_push_link(struct scope_link_closer *c, struct bpf_link *l);
/* Closes everything still queued, then ends the thread. */
void scope_link_closer_stop(struct scope_link_closer *c);

#endif
