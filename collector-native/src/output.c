#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

int scope_output_open(struct scope_output *o, const char *path, bool shared)
{
	memset(o, 0, sizeof(*o));
	o->final_fd = -1;
	struct stat st;
	if (!path && shared && fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
		const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		o->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (o->fd < 0)
			return -errno;
		o->owned = true;
		o->final_fd = STDOUT_FILENO;
		o->chunk = 1 << 16;
		return 0;
	}
	if (path) {
		o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (o->fd < 0)
			return -errno;
		o->owned = true;
	} else {
		o->fd = STDOUT_FILENO;
	}
	o->chunk = 1 << 16;
	if (fstat(o->fd, &st) == 0 && !S_ISREG(st.st_mode))
		o->chunk = PIPE_BUF;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= w;
	}
	return 0;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

void scope_output_write(struct scope_output *o, struct jbuf *b)
{
	size_t off = 0;
	while (off < b->len) {
		/* the longest run of whole lines that fits a chunk; a longer single line goes alone */
		size_t end = off, last_nl = 0;
		bool found = false;
		for (size_t i = off; i < b->len && i - off < o->chunk; i++)
			if (b->p[i] == '\n') {
				last_nl = i;
				found = true;
			}
		if (found) {
			end = last_nl + 1;
		} else {
			char *nl = memchr(b->p + off, '\n', b->len - off);
			if (!nl)
				break;
			end = nl - b->p + 1;
		}
		size_t lines = count_lines(b->p + off, end - off);
		if (o->broken || write_all(o->fd, b->p + off, end - off)) {
			if (!o->broken)
				fprintf(stderr, "scope-collector: output closed (%s); events are no longer written\n",
					strerror(errno));
			o->broken = true;
			o->lines_lost += lines;
		} else {
			o->lines_written += lines;
		}
		off = end;
	}
	memmove(b->p, b->p + off, b->len - off);
	b->len -= off;
}

static int copy_spool(int from, int to)
{
	char buf[1 << 16];
	if (lseek(from, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t r = read(from, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		int e = write_all(to, buf, r);
		if (e)
			return e;
	}
}

int scope_output_close(struct scope_output *o)
{
	int err = 0;
	if (o->final_fd >= 0 && !o->broken)
		err = copy_spool(o->fd, o->final_fd);
	if (o->owned)
		close(o->fd);
	o->fd = -1;
	return err;
}
