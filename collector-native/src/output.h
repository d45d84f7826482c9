/* Where JSON lines go: stdout or a file. Lines are written whole: into a pipe or terminal, in
 * writes of at most PIPE_BUF bytes that end on a line boundary, so they never interleave with the
 * traced command's own output on the same stdout.
 *
 * When stdout is a regular file that the traced command also writes, the two share one file
 * offset, and the command may write at it without the lock write() takes (copy_file_range does),
 * overwriting our lines. Then lines are spooled to an unlinked temporary file and appended after
 * the command has ended. */
#ifndef SCOPE_OUTPUT_H
#define SCOPE_OUTPUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jbuf.h"

struct scope_output {
	int fd;
	int final_fd;      /* with a spool: where the spool is copied at close; else -1 */
	bool owned;        /* opened by us: closed at the end */
	size_t chunk;      /* the most bytes a single write may carry */
	bool broken;       /* the reader went away (EPIPE): further lines are counted, not written */
	uint64_t lines_written;
	uint64_t lines_lost;
};

/* path NULL: stdout; shared: a traced command writes the same stdout. */
int scope_output_open(struct scope_output *o, const char *path, bool shared);
/* Writes every complete line in b and leaves any partial tail in it. */
void scope_output_write(struct scope_output *o, struct jbuf *b);
/* Copies a spool to its destination, and closes what was opened. Returns 0 or a negative errno. */
int scope_output_close(struct scope_output *o);
#endif
