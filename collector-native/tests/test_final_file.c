/* --final-file: the line's exact form, its counters taken as the batch headers count, and the
 * atomic replacement of the file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "final_file.h"
#include "frame.h"

static char *slurp(const char *path)
{
	static char text[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return text;
}

static int put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static struct scope_batch_header header_of(const struct scope_framer *f)
{
	struct scope_batch_header h;
	memcpy(&h, f->buf, sizeof(h));
	return h;
}

int main(void)
{
	struct jbuf b = { 0 };

	/* The exact line: keys in this order, the instance as a decimal string (it exceeds 2^63). */
	struct scope_final_state st = {
		.collector_id = "task-0123456789ab",
		.machine_id = "0123456789abcdef0123456789abcdef",
		.instance = 0xfedcba9876543210ull,
		.next_event = 1002,
		.send_drops = 7,
		.batches = 8,
		.reason = "parent-gone",
		.at_unix_ns = 1700000000123456789ull,
	};
	CHECK(scope_final_format(&b, &st) == 0);
	jb_raw(&b, "", 1);
	CHECK_STR(b.p, "{\"collector_id\":\"task-0123456789ab\",\"instance\":\"18364758544493064720\","
		       "\"machine_id\":\"0123456789abcdef0123456789abcdef\",\"next_event\":1002,\"send_drops\":7,"
		       "\"batches\":8,\"reason\":\"parent-gone\",\"at_unix_ns\":1700000000123456789}\n");

	/* Strings are escaped (the ids the options accept need none, but the format does not rely on it);
	 * zero counters, and no reason given reads as finished. */
	struct scope_final_state odd = { .collector_id = "a\"b\\c\n", .machine_id = "m\x01" };
	jb_reset(&b);
	CHECK(scope_final_format(&b, &odd) == 0);
	jb_raw(&b, "", 1);
	CHECK_STR(b.p, "{\"collector_id\":\"a\\\"b\\\\c\\n\",\"instance\":\"0\",\"machine_id\":\"m\\u0001\","
		       "\"next_event\":0,\"send_drops\":0,\"batches\":0,\"reason\":\"finished\",\"at_unix_ns\":0}\n");

	/* Filled from a framer: the ids its headers carry (a 32-character machine id has no NUL there),
	 * next_event what the next header's first_event would say, batches the last sequence. */
	const char *secret = "0123456789abcdef";
	struct scope_frame_ids ids = { "0123456789abcdef0123456789abcdef", "c-1", "t", "0.1.0" };
	struct scope_framer f;
	CHECK(scope_framer_init(&f, &ids, 0x8000000000000001ull, (const uint8_t *)secret, strlen(secret), 4096) == 0);
	uint64_t kdrops[3] = { 0, 0, 0 };
	unsigned char rec[64] = { 0 };

	scope_final_fill(&st, &f, 0, "signal", 5);
	CHECK(st.next_event == 0 && st.batches == 0); /* nothing built yet */

	for (int i = 0; i < 3; i++)
		CHECK(scope_framer_add(&f, rec, sizeof(rec)));
	CHECK(scope_framer_seal(&f, kdrops, 0, 1, 2, 0) > 0);
	scope_framer_next(&f);
	/* a heartbeat, then a batch the sender dropped: its records keep their indices */
	CHECK(scope_framer_seal(&f, kdrops, 0, 1, 2, 0) > 0);
	scope_framer_next(&f);
	for (int i = 0; i < 4; i++)
		CHECK(scope_framer_add(&f, rec, sizeof(rec)));
	CHECK(scope_framer_seal(&f, kdrops, 0, 1, 2, 0) > 0);
	scope_framer_next(&f);
	CHECK(scope_framer_add(&f, rec, sizeof(rec)));
	CHECK(scope_framer_seal(&f, kdrops, 4, 1, 2, SCOPE_BATCH_FINAL) > 0);
	struct scope_batch_header last = header_of(&f);
	scope_framer_next(&f);

	scope_final_fill(&st, &f, 4, "parent-gone", 42);
	CHECK(last.sequence == 4 && last.first_event == 7 && last.record_count == 1);
	CHECK(st.batches == last.sequence);
	CHECK(st.next_event == last.first_event + last.record_count && st.next_event == 8);
	CHECK(st.send_drops == 4 && st.instance == 0x8000000000000001ull && st.at_unix_ns == 42);
	CHECK_STR(st.collector_id, "c-1");
	CHECK_STR(st.machine_id, "0123456789abcdef0123456789abcdef");
	CHECK_STR(st.reason, "parent-gone");
	/* the next batch, were there one, would start where the file says */
	CHECK(scope_framer_seal(&f, kdrops, 4, 1, 2, 0) > 0);
	CHECK(header_of(&f).first_event == st.next_event && header_of(&f).sequence == st.batches + 1);
	jb_reset(&b);
	CHECK(scope_final_format(&b, &st) == 0);
	jb_raw(&b, "", 1);
	CHECK_STR(b.p, "{\"collector_id\":\"c-1\",\"instance\":\"9223372036854775809\","
		       "\"machine_id\":\"0123456789abcdef0123456789abcdef\",\"next_event\":8,\"send_drops\":4,"
		       "\"batches\":4,\"reason\":\"parent-gone\",\"at_unix_ns\":42}\n");
	scope_framer_free(&f);

	/* The atomic write: the file with mode 0600 whatever the umask, no .tmp left behind. */
	char dir[] = "/tmp/scope-final-XXXXXX", path[256], tmp[512];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/c1.final", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	mode_t old_umask = umask(0);
	CHECK(scope_final_write(path, "{\"a\":1}\n", 8) == 0);
	CHECK_STR(slurp(path) ? slurp(path) : "(none)", "{\"a\":1}\n");
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600);
	CHECK(access(tmp, F_OK) != 0 && errno == ENOENT);

	/* Replaced whole; a stale .tmp (a collector killed while writing, another mode) is not reused. */
	CHECK(put(tmp, "stale stale stale stale", 0644) == 0);
	CHECK(scope_final_write(path, b.p, b.len - 1) == 0);
	CHECK_STR(slurp(path) ? slurp(path) : "(none)", b.p);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600);
	CHECK(access(tmp, F_OK) != 0);
	/* A .tmp that is a link is removed, not followed. */
	char victim[256];
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	CHECK(put(victim, "keep", 0644) == 0);
	CHECK(symlink(victim, tmp) == 0);
	CHECK(scope_final_write(path, "x\n", 2) == 0);
	CHECK_STR(slurp(victim) ? slurp(victim) : "(none)", "keep");
	CHECK_STR(slurp(path) ? slurp(path) : "(none)", "x\n");
	umask(old_umask);

	/* A relative name works in the current directory. */
	char cwd[PATH_MAX];
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(dir) == 0);
	CHECK(scope_final_write("rel.final", "r\n", 2) == 0);
	CHECK_STR(slurp("rel.final") ? slurp("rel.final") : "(none)", "r\n");
	CHECK(chdir(cwd) == 0);

	/* Failures: -errno, and nothing left where the file would be. */
	char missing[256];
	snprintf(missing, sizeof(missing), "%s/no-such-dir/f", dir);
	CHECK(scope_final_write(missing, "x\n", 2) == -ENOENT);
	CHECK(access(missing, F_OK) != 0);
	CHECK(scope_final_write("", "x\n", 2) < 0);
	/* A directory in the way: the rename fails, the .tmp goes. */
	char blocked[256], blocked_tmp[512];
	snprintf(blocked, sizeof(blocked), "%s/blocked", dir);
	snprintf(blocked_tmp, sizeof(blocked_tmp), "%s.tmp", blocked);
	CHECK(mkdir(blocked, 0700) == 0);
	CHECK(scope_final_write(blocked, "x\n", 2) == -EISDIR);
	CHECK(access(blocked_tmp, F_OK) != 0);

	char rel[256];
	const char *names[] = { "c1.final", "rel.final", "victim", "c1.final.tmp" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(rel, sizeof(rel), "%s/%s", dir, names[i]);
		unlink(rel);
	}
	rmdir(blocked);
	CHECK(rmdir(dir) == 0);
	jb_free(&b);
	CHECK_DONE();
}
