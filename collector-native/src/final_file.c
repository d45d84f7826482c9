#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "final_file.h"

/* Header ids are NUL-padded, and a 32-character one has no NUL. */
static void copy_id(char dst[SCOPE_ID_LEN + 1], const char src[SCOPE_ID_LEN])
{
	size_t n = strnlen(src, SCOPE_ID_LEN);
	memcpy(dst, src, n);
	dst[n] = 0;
}

void scope_final_fill(struct scope_final_state *st, const struct scope_framer *f, uint64_t send_drops,
		      const char *reason, uint64_t at_unix_ns)
{
	memset(st, 0, sizeof(*st));
	copy_id(st->collector_id, f->tmpl.collector_id);
	copy_id(st->machine_id, f->tmpl.machine_id);
	st->instance = f->tmpl.instance;
	/* scope_framer_seal writes produced as first_event; scope_framer_next adds the batch's records
	 * and moves on to the next sequence (the first is 1). */
	st->next_event = f->produced + f->records;
	st->batches = f->sequence - 1;
	st->send_drops = send_drops;
	st->reason = reason;
	st->at_unix_ns = at_unix_ns;
}

int scope_final_format(struct jbuf *b, const struct scope_final_state *st)
{
	const char *reason = st->reason ? st->reason : "finished";
	jb_raw(b, "{", 1);
	jb_key(b, "collector_id");
	jb_str(b, st->collector_id, sizeof(st->collector_id));
	jb_key(b, "instance");
	jb_fmt(b, "\"%llu\"", (unsigned long long)st->instance); /* a string: above 2^53 in JavaScript */
	jb_key(b, "machine_id");
	jb_str(b, st->machine_id, sizeof(st->machine_id));
	jb_key(b, "next_event");
	jb_u64(b, st->next_event);
	jb_key(b, "send_drops");
	jb_u64(b, st->send_drops);
	jb_key(b, "batches");
	jb_u64(b, st->batches);
	jb_key(b, "reason");
	jb_str(b, reason, strlen(reason));
	jb_key(b, "at_unix_ns");
	jb_u64(b, st->at_unix_ns);
	jb_raw(b, "}\n", 2);
	return b->oom ? -ENOMEM : 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int scope_final_write(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	if (!*path)
		return -ENOENT;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* A stale one (a collector killed while writing) goes: O_EXCL then creates ours with our mode,
	 * and never follows a link someone left there. */
	if (unlink(tmp) && errno != ENOENT)
		return -errno;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int err = fchmod(fd, 0600) ? -errno : 0; /* whatever the umask */
	if (!err)
		err = write_all(fd, data, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	/* The rename itself survives a crash once the directory is on disk too (best effort). */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
