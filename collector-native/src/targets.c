#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scope_maps.h"
#include "targets.h"

#define BITMAP_BYTES ((size_t)SCOPE_TARGET_WORDS * sizeof(uint64_t))

int scope_targets_map(struct scope_targets *t, int map_fd)
{
	void *p = mmap(NULL, BITMAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->bits = p;
	return 0;
}

void scope_targets_unmap(struct scope_targets *t)
{
	if (t->bits)
		munmap(t->bits, BITMAP_BYTES);
	t->bits = NULL;
}

void scope_targets_add(struct scope_targets *t, pid_t pid)
{
	if (pid > 0 && (uint32_t)pid < SCOPE_PID_MAX)
		__atomic_fetch_or(&t->bits[pid >> 6], 1ull << (pid & 63), __ATOMIC_SEQ_CST);
}

void scope_targets_remove(struct scope_targets *t, pid_t pid)
{
	if (pid > 0 && (uint32_t)pid < SCOPE_PID_MAX)
		__atomic_fetch_and(&t->bits[pid >> 6], ~(1ull << (pid & 63)), __ATOMIC_SEQ_CST);
}

bool scope_targets_has(const struct scope_targets *t, pid_t pid)
{
	if (pid <= 0 || (uint32_t)pid >= SCOPE_PID_MAX)
		return false;
	return __atomic_load_n(&t->bits[pid >> 6], __ATOMIC_SEQ_CST) & (1ull << (pid & 63));
}

int scope_parse_proc_stat(const char *text, size_t len, char *comm, size_t commlen, pid_t *ppid)
{
	/* "pid (comm) state ppid ..." where comm may contain ") " itself: use the last ')'. */
	const char *open = memchr(text, '(', len);
	const char *close = NULL;
	for (const char *p = text + len; p > text; p--)
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	if (!open || !close || close < open || commlen == 0)
		return -1;
	size_t n = close - open - 1;
	if (n >= commlen)
		n = commlen - 1;
	memcpy(comm, open + 1, n);
	comm[n] = 0;
	const char *p = close + 1;
	const char *end = text + len;
	/* " S 1234 " */
	if (end - p < 4 || p[0] != ' ' || p[2] != ' ')
		return -1;
	p += 3;
	/* A pid has at most 7 digits (PID_MAX_LIMIT is 2^22); more is not a pid, and must not wrap. */
	long v = 0;
	size_t k = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		if (++k > 7)
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	if (k == 0 || (p < end && *p != ' ' && *p != '\n') || v >= (1 << 22))
		return -1;
	*ppid = (pid_t)v;
	return 0;
}

struct proc_entry {
	pid_t pid, ppid;
	char comm[16];
};

/* A snapshot of /proc; processes that vanish while reading are skipped. */
static int snapshot(struct proc_entry **out)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	size_t cap = 1024, n = 0;
	struct proc_entry *v = malloc(cap * sizeof(*v));
	if (!v) {
		closedir(d);
		return -ENOMEM;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		if (n == cap) {
			struct proc_entry *nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			cap *= 2;
		}
		if (scope_parse_proc_stat(buf, r, v[n].comm, sizeof(v[n].comm), &v[n].ppid) == 0) {
			v[n].pid = pid;
			n++;
		}
	}
	closedir(d);
	*out = v;
	return (int)n;
}

int scope_targets_add_by_comm(struct scope_targets *t, char (*comms)[16], int ncomms)
{
	struct proc_entry *v;
	int n = snapshot(&v);
	if (n < 0)
		return n;
	int added = 0;
	pid_t self = getpid();
	for (int i = 0; i < n; i++)
		for (int j = 0; j < ncomms; j++)
			if (v[i].pid != self && strncmp(v[i].comm, comms[j], 16) == 0) {
				scope_targets_add(t, v[i].pid);
				added++;
				break;
			}
	free(v);
	return added;
}

int scope_targets_add_descendants(struct scope_targets *t)
{
	struct proc_entry *v;
	int n = snapshot(&v);
	if (n < 0)
		return n;
	int added = 0, changed = 1;
	while (changed) { /* until closed: a grandchild may precede its parent in /proc order */
		changed = 0;
		for (int i = 0; i < n; i++)
			if (!scope_targets_has(t, v[i].pid) && scope_targets_has(t, v[i].ppid)) {
				scope_targets_add(t, v[i].pid);
				added++;
				changed = 1;
			}
	}
	free(v);
	return added;
}
